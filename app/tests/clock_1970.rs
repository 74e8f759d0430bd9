//! A box without a real-time clock (every Pi 3/4): after a power cut the daemon starts with
//! the clock near 1970 and records; later NTP (or the user) sets it. The daemon here runs
//! under libfaketime (its wall clock only: the monotonic clock stays real, as on the box),
//! the camera is real; the fake clock then jumps to now, as NTP's step does.

mod common;
use common::fakecam::FakeCam;
use common::recordings::*;
use common::*;
use std::time::Duration;

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

fn faketime_stamp(ns: i128) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ns).unwrap();
    let fmt = time::macros::format_description!("@[year]-[month]-[day] [hour]:[minute]:[second]");
    t.format(&fmt).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_made_before_the_clock_is_set_keep_their_real_times() {
    assert!(
        std::path::Path::new(LIBFAKETIME).exists(),
        "{LIBFAKETIME} missing: install libfaketime (scripts/setup-dev.sh does)"
    );
    let fc = FakeCam::start(&["codec=h264,size=320x240,fps=15,gop=15"], &[]);
    let tmp = tempfile::tempdir().unwrap();
    let stamp_file = tmp.path().join("faketime");
    std::fs::write(&stamp_file, "@1970-01-01 00:00:00\n").unwrap();
    let run_dir = tmp.path().join("run"); // no NTP marker, no restore marker
    std::fs::create_dir_all(&run_dir).unwrap();
    let env = |k: &str, v: &str| (k.to_string(), v.to_string());
    let real_start = now_ns();
    let d = Daemon::start_opts(Opts {
        toml: Some(&format!(
            "[storage]\nsegment_duration = \"10s\"\n\n[cleanup]\nretention_days = 1\n\n{}",
            camera_toml("cam", "rtsp", "h264", &fc.url(0), "")
        )),
        env: vec![
            env("LD_PRELOAD", LIBFAKETIME),
            env("FAKETIME_TIMESTAMP_FILE", &stamp_file.to_string_lossy()),
            env("FAKETIME_NO_CACHE", "1"),
            env("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
            env("TZ", "UTC"),
            env("MIBEE_RUN_DIR", &run_dir.to_string_lossy()),
        ],
        ..Default::default()
    })
    .await;
    // Not trusted, and said so.
    let (_, t) = json(d.get("/api/system/time")).await;
    assert!(t["time"].as_str().unwrap().starts_with("1970-01-01"), "{t}");
    assert_eq!(t["trusted"], false, "{t}");
    let (s, h) = json(d.get("/api/health")).await;
    assert_eq!(s, 200);
    assert_eq!(h["checks"]["clock"]["status"], "warning", "{h}");
    assert!(
        h["checks"]["clock"]["message"]
            .as_str()
            .unwrap()
            .contains("not synchronised"),
        "{h}"
    );
    // A minute recorded at "1970".
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
    wait_for(
        "60 s recorded at 1970",
        Duration::from_secs(100),
        async || {
            recordings(&d, "cam")
                .await
                .iter()
                .map(|r| r["duration"].as_f64().unwrap())
                .sum::<f64>()
                >= 60.0
        },
    )
    .await;
    let early = recordings(&d, "cam").await;
    assert!(
        early
            .iter()
            .all(|r| r["started_at"].as_str().unwrap().starts_with("1970-")),
        "{early:?}"
    );
    // NTP answers: the clock steps to now.
    let jump = now_ns();
    std::fs::write(&stamp_file, format!("{}\n", faketime_stamp(jump))).unwrap();
    wait_for(
        "the clock is trusted",
        Duration::from_secs(10),
        async || json(d.get("/api/system/time")).await.1["trusted"] == true,
    )
    .await;
    let (_, t) = json(d.get("/api/system/time")).await;
    assert_eq!(t["source"], "step", "{t}");
    // A cleanup pass with a one-day retention runs now.
    let (s, v) = json(
        d.put("/api/settings")
            .json(&serde_json::json!({"cleanup": {"check_interval": "2h"}})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    wait_for(
        "the cleanup pass ran",
        Duration::from_secs(10),
        async || {
            json(d.get("/api/stats")).await.1["cleanup"]["last_run_time"]
                .as_str()
                .is_some_and(|t| ns(t) > jump - 5_000_000_000)
        },
    )
    .await;
    // Recording goes on in the corrected clock.
    wait_for(
        "recorded after the step",
        Duration::from_secs(40),
        async || {
            recordings(&d, "cam")
                .await
                .iter()
                .any(|r| ns(r["started_at"].as_str().unwrap()) > jump)
        },
    )
    .await;
    stop_and_flush(&d, "cam").await;
    let recs = recordings(&d, "cam").await;
    // Nothing recorded at "1970" was deleted as 56 years old, and every recording now
    // carries the time it was really made.
    assert!(
        recs.len() > early.len(),
        "{} of {}",
        recs.len(),
        early.len()
    );
    assert!(
        recs.iter()
            .all(|r| !r["started_at"].as_str().unwrap().starts_with("1970")),
        "{recs:?}"
    );
    let first = ns(recs[0]["started_at"].as_str().unwrap());
    assert!(
        (first - real_start).abs() < 8_000_000_000,
        "first recording dated {} s from when it was made",
        (first - real_start) / 1_000_000_000
    );
    let recorded_before: f64 = early.iter().map(|r| r["duration"].as_f64().unwrap()).sum();
    // Contiguous: the run ended at the step and the next began at the next key frame.
    for w in recs.windows(2) {
        let gap = ns(w[1]["started_at"].as_str().unwrap()) - ns(w[0]["ended_at"].as_str().unwrap());
        assert!(
            (-50_000_000..1_500_000_000).contains(&gap),
            "gap of {} ms between {} and {}",
            gap / 1_000_000,
            w[0]["id"],
            w[1]["id"]
        );
    }
    println!(
        "1970 clock: {} recordings ({recorded_before:.1} s) made before the step, first dated {} ms from real time",
        early.len(),
        (first - real_start) / 1_000_000
    );
    verify_all(&d, "cam", 15.0, false).await;
    let mut d = d;
    assert!(d.stop().success());
    let (ok, out, err) = cli(&d.config_path(), &["check"]);
    assert!(ok, "index and disk agree after the renames: {out}{err}");
}
