//! The storage lifecycle on a small real filesystem (a loop-mounted ext4 image) filled by
//! recording real RTSP cameras (filecam.py replaying a noisy 6 Mbit/s clip): the disk
//! threshold keeps the newest footage and deletes only the oldest recordings, recording never
//! stops, and a disk filled by someone else's file pauses recording cleanly (the API answers,
//! 507 where writing is refused) until space returns. `mibee-nvr check` then finds the index
//! and the disk in agreement.

mod common;
use common::media::{FileCam, LoopFs, assert_decodes, clip};
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The tests fill disks with several cameras: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn config(root: &std::path::Path, threshold: u32, urls: &[String]) -> String {
    let mut s = format!(
        "[storage]\nroot_dir = \"{}\"\nsegment_duration = \"5s\"\nsync_interval = \"1s\"\n\n\
         [cleanup]\ncheck_interval = \"10s\"\ndisk_threshold_percent = {threshold}\n\n",
        root.display()
    );
    for (i, u) in urls.iter().enumerate() {
        s += &format!(
            "[[cameras]]\nid = \"cam{i}\"\nname = \"cam{i}\"\nprotocol = \"rtsp\"\nencoding = \"h264\"\nurl = \"{u}\"\n\n"
        );
    }
    s
}

/// All recordings (ids ascending = start time ascending).
async fn recordings(d: &Daemon) -> Vec<Value> {
    let (s, v) = json(d.get("/api/recordings?limit=1000")).await;
    assert_eq!(s, 200, "{v}");
    let mut r = v["recordings"].as_array().unwrap().clone();
    r.reverse();
    r
}

fn id(r: &Value) -> u64 {
    r["id"].as_str().unwrap().parse().unwrap()
}

async fn download(d: &Daemon, r: &Value) -> Vec<u8> {
    let resp = d
        .get(&format!("/api/recordings/{}/download", id(r)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

fn check_ok(d: &Daemon) -> String {
    let (ok, out, err) = cli(&d.config_path(), &["check"]);
    assert!(ok, "mibee-nvr check: {out}{err}");
    assert!(out.contains("agree with the disk"), "{out}");
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn disk_threshold_keeps_the_newest_and_recording_never_stops() {
    let _serial = SERIAL.lock().await;
    let fs = LoopFs::new(160);
    let foreign = fs.mount.join("foreign.bin");
    std::fs::write(&foreign, vec![7u8; 30 << 20]).unwrap();
    let cams = FileCam::start(&clip(150), 2);
    let threshold = 60.0;
    let mut d =
        Daemon::start_with_config(Some(&config(&fs.mount.join("rec"), 60, &cams.urls))).await;
    let started = Instant::now();
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut samples: Vec<(f64, f64)> = Vec::new(); // (seconds, used %)
    // The observation window: the disk is sampled every second for 100 s while it fills up
    // and the threshold deletes (the assertions below are about every sample).
    while started.elapsed() < Duration::from_secs(100) {
        let (used, _) = fs.usage();
        samples.push((started.elapsed().as_secs_f64(), used));
        seen.extend(recordings(&d).await.iter().map(id));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let now = recordings(&d).await;
    let current: BTreeSet<u64> = now.iter().map(id).collect();
    let deleted: Vec<u64> = seen.difference(&current).copied().collect();
    assert!(
        !deleted.is_empty(),
        "the threshold must have deleted recordings: {samples:?}"
    );
    // Oldest first, and nothing else: every deleted recording started before every kept one.
    assert!(
        deleted.iter().max() < current.iter().min(),
        "deleted {deleted:?} vs kept {current:?}"
    );
    // The threshold holds: recorders delete the oldest footage before writing past it (the
    // scheduled check is the backstop), so `df` never shows more than a GOP above it.
    let over: Vec<_> = samples
        .iter()
        .filter(|(_, u)| *u > threshold + 1.0)
        .collect();
    assert!(
        over.is_empty(),
        "above the threshold: {over:?} (all: {samples:?})"
    );
    assert!(
        samples.iter().any(|(_, u)| *u > threshold - 3.0),
        "the disk filled up to the threshold: {samples:?}"
    );
    // Recording never stopped: each camera's kept recordings follow each other without a
    // gap, up to a few seconds ago.
    for cam in ["cam0", "cam1"] {
        let recs: Vec<&Value> = now.iter().filter(|r| r["camera_id"] == cam).collect();
        assert!(recs.len() >= 3, "{cam}: {} recordings kept", recs.len());
        for w in recs.windows(2) {
            let end = w[0]["ended_at"].as_str().unwrap();
            let next = w[1]["started_at"].as_str().unwrap();
            assert_eq!(end, next, "{cam}: gap or overlap between recordings");
        }
    }
    let (_, health) = json(d.get("/api/health")).await;
    assert_eq!(health["checks"]["storage"]["recording_paused"], false);
    let (_, stats) = json(d.get("/api/stats")).await;
    assert!(stats["cleanup"]["recordings_deleted"].as_u64().unwrap() >= deleted.len() as u64);
    assert!(
        stats["write_amplification"].as_f64().unwrap() < 1.05,
        "{stats}"
    );
    // Someone else's file is untouched.
    assert_eq!(std::fs::metadata(&foreign).unwrap().len(), 30 << 20);
    for r in now.iter().rev().take(6) {
        assert_decodes(&r["id"].to_string(), &download(&d, r).await);
    }
    assert!(d.stop().success());
    check_ok(&d);
}

/// Fills the filesystem with a foreign file, competing with the daemon for every freed byte,
/// for `secs` seconds.
fn fill_for(path: &std::path::Path, secs: u64) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let chunk = vec![1u8; 64 << 10];
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if f.write_all(&chunk).is_err() {
            let _ = f.sync_data();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    f.sync_all().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_filled_by_someone_else_pauses_recording_until_space_returns() {
    let _serial = SERIAL.lock().await;
    let fs = LoopFs::new(96);
    let cams = FileCam::start(&clip(150), 1);
    let mut d =
        Daemon::start_with_config(Some(&config(&fs.mount.join("rec"), 95, &cams.urls))).await;
    wait_for("recording started", Duration::from_secs(30), async || {
        !recordings(&d).await.is_empty()
    })
    .await;
    let foreign = fs.mount.join("foreign.bin");
    let f2 = foreign.clone();
    tokio::task::spawn_blocking(move || fill_for(&f2, 15))
        .await
        .unwrap();
    // Nothing of ours left to reclaim: recording is paused, and the API says so.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (code, h) = json(d.get("/api/health")).await;
        if h["checks"]["storage"]["recording_paused"] == true {
            assert_eq!(code, 503, "{h}");
            assert_eq!(h["checks"]["storage"]["status"], "error");
            break;
        }
        assert!(Instant::now() < deadline, "recording never paused: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (code, _) = json(d.get("/api/cameras")).await;
    assert_eq!(code, 200, "the API answers on a full disk");
    let (code, _) = json(d.post("/api/cameras/cam0/stop")).await;
    assert_eq!(code, 200);
    expect_error(d.post("/api/cameras/cam0/start"), 507, "STORAGE_FULL").await;
    // Space returns: recording resumes on its own once the camera is started again.
    std::fs::remove_file(&foreign).unwrap();
    let freed = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, _) = json(d.post("/api/cameras/cam0/start")).await;
        if code == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "start refused after space returned"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let recs = recordings(&d).await;
        let fresh: Vec<Value> = recs
            .into_iter()
            .filter(|r| {
                let started = time::OffsetDateTime::parse(
                    r["started_at"].as_str().unwrap(),
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap();
                started > time::OffsetDateTime::now_utc() - freed.elapsed()
            })
            .collect();
        if !fresh.is_empty() {
            break fresh;
        }
        assert!(Instant::now() < deadline, "recording did not resume");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let (_, h) = json(d.get("/api/health")).await;
    assert_eq!(h["checks"]["storage"]["recording_paused"], false, "{h}");
    for r in recordings(&d).await {
        assert_decodes(&r["id"].to_string(), &download(&d, &r).await);
    }
    assert!(!after.is_empty());
    assert!(d.stop().success());
    check_ok(&d);
}
