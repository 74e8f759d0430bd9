//! Benchmark: a year of footage on a small box — 8 cameras × 2,880 recordings a day is about
//! 8,000,000 recordings (`BENCH_RECORDINGS`, default 8,000,000). Fills a metadata database
//! through the library (30 s recordings, each starting with a fragment header in its media
//! file), then measures, against the goals of issue 16 / design/goals.md:
//! - `mibee-nvr check` (index and disk) and a restore's reconciliation: peak RSS ≤ 64 MiB;
//! - `GET /api/recordings` pages over HTTP on 127.0.0.1 (newest, a camera, a deep page,
//!   merged only, a one-hour window): p99 ≤ 5 ms;
//! - a merge pass over the 8 cameras: ≤ 1 s.

use mibee_nvr::db::{Db, FileRow, IndexOp, MergeRules, RecordingRow};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CAMERAS: u64 = 8;
const REQUESTS: usize = 500;
/// Each recording is one 16-byte fragment header in its file (the checks read it).
const REC_BYTES: u64 = 16;
const INIT_BYTES: u64 = 1000;

fn recordings_total() -> u64 {
    std::env::var("BENCH_RECORDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8_000_000)
}

fn fill(dir: &Path, total: u64) {
    let db = Db::open(&dir.join("mibee-nvr.redb")).unwrap();
    let per_cam = total / CAMERAS;
    let mut files = Vec::new();
    let frag: Vec<u8> = [&(REC_BYTES as u32).to_be_bytes()[..], b"moof", &[0u8; 8]].concat();
    for c in 0..CAMERAS {
        let mut row = FileRow {
            camera_id: format!("cam-{c}"),
            rel_path: format!("cam-{c}/bench"),
            init_len: INIT_BYTES,
            start_wall_ns: 0,
            start_media_90k: 0,
            sealed: true,
            format: "h264".into(),
            width: 1920,
            height: 1080,
        };
        let id = db.create_file(&mut row).unwrap();
        files.push(id);
        let path = dir.join("recordings").join(&row.rel_path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(&vec![0u8; INIT_BYTES as usize]).unwrap();
        for _ in 0..per_cam {
            f.write_all(&frag).unwrap();
        }
    }
    let start_ns: i64 = 1_700_000_000_000_000_000;
    let mut batch = Vec::with_capacity(20_000);
    for i in 0..per_cam {
        for c in 0..CAMERAS {
            batch.push(IndexOp::InsertRecording(RecordingRow {
                camera_id: format!("cam-{c}"),
                file_id: files[c as usize],
                byte_start: INIT_BYTES + i * REC_BYTES,
                byte_end: INIT_BYTES + (i + 1) * REC_BYTES,
                media_start_90k: i as i64 * 2_700_000,
                media_end_90k: (i as i64 + 1) * 2_700_000,
                start_wall_ns: start_ns + i as i64 * 30_000_000_000 + c as i64 * 1_000,
                duration_ns: 30_000_000_000,
                frame_count: 750,
                format: "h264".into(),
                width: 1920,
                height: 1080,
                merged: i % 10 == 0,
                recovered: false,
            }));
        }
        if batch.len() >= 20_000 {
            db.apply(&batch).unwrap();
            batch.clear();
        }
    }
    db.apply(&batch).unwrap();
}

/// Runs `cmd` and returns (its peak RSS in KiB, read from /proc while it runs, elapsed).
fn peak_rss(cmd: &mut Command) -> (u64, Duration) {
    let t = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(v) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        {
            peak = peak.max(v);
        }
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "{cmd:?}: {st}");
            return (peak, t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn main() {
    // Child mode: a restore's reconciliation of the index with the disk, alone in a process.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--reconcile") {
        let dir = Path::new(&args[2]);
        let db = Db::open(&dir.join("mibee-nvr.redb")).unwrap();
        let r = mibee_nvr::storage::orphans::reconcile_after_restore(
            &db,
            &dir.join("recordings"),
            30_000_000_000,
            &Default::default(),
        )
        .unwrap();
        assert_eq!(r.dropped_recordings + r.adopted_files, 0, "{r:?}");
        return;
    }
    let total = recordings_total();
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    fill(dir.path(), total);
    let db_mib = std::fs::metadata(dir.path().join("mibee-nvr.redb"))
        .unwrap()
        .len() as f64
        / (1 << 20) as f64;
    println!(
        "filled {total} recordings ({CAMERAS} cameras) in {:.1} s; database {db_mib:.1} MiB",
        t.elapsed().as_secs_f64()
    );
    // The index stays as filled while pages are timed: retention long enough that none of the
    // (2023) recordings is due, and no merge pass (it would combine them as it goes).
    let cfg = dir.path().join("mibee-nvr.toml");
    std::fs::write(
        &cfg,
        "[cleanup]\nretention_days = 3650\n\n[merge]\nenabled = false\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_mibee-nvr");
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let (rss, took) = peak_rss(Command::new(bin).arg("--config").arg(&cfg).arg("check"));
    println!(
        "mibee-nvr check: peak RSS {:.1} MiB in {:.1} s (goal <= 64 MiB: {})",
        rss as f64 / 1024.0,
        took.as_secs_f64(),
        verdict(rss <= 64 * 1024)
    );
    let (rss, took) = peak_rss(
        Command::new(std::env::current_exe().unwrap())
            .arg("--reconcile")
            .arg(dir.path()),
    );
    println!(
        "restore reconciliation: peak RSS {:.1} MiB in {:.1} s (goal <= 64 MiB: {})",
        rss as f64 / 1024.0,
        took.as_secs_f64(),
        verdict(rss <= 64 * 1024)
    );

    let ready = dir.path().join("ready");
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--listen", "127.0.0.1:0", "--ready-file"])
        .arg(&ready)
        .env("RUST_LOG", "warn")
        .env("MIBEE_LOOPBACK_CAMERAS_ONLY", "true")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        if let Ok(a) = std::fs::read_to_string(&ready) {
            break a;
        }
        assert!(Instant::now() < deadline, "daemon did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let hour_end = "2023-12-04T23:13:20Z";
        let queries = [
            ("newest page", "/api/recordings?limit=50".to_string()),
            ("one camera", "/api/recordings?limit=50&camera_id=cam-3".to_string()),
            ("offset 1000", "/api/recordings?limit=50&offset=1000".to_string()),
            ("merged only", "/api/recordings?limit=50&merged=true".to_string()),
            ("1 h window", format!("/api/recordings?limit=50&start=2023-12-04T22:13:20Z&end={hour_end}")),
        ];
        for (name, q) in queries {
            let url = format!("http://{addr}{q}");
            let first: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
            let mut lat = Vec::with_capacity(REQUESTS);
            for _ in 0..REQUESTS {
                let t = Instant::now();
                let resp = client.get(&url).send().await.unwrap();
                assert_eq!(resp.status(), 200);
                let _ = resp.bytes().await.unwrap();
                lat.push(t.elapsed());
            }
            lat.sort();
            let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
            println!(
                "recordings list [{name}]: total={} page={} p50={:.2} ms p99={:.2} ms (goal p99 <= 5 ms: {})",
                first["total"],
                first["recordings"].as_array().map(|a| a.len()).unwrap_or(0),
                p(0.5),
                p(0.99),
                verdict(p(0.99) <= 5.0)
            );
        }
        // Nothing was removed while it ran: every page above saw the whole index.
        let url = format!("http://{addr}/api/recordings?limit=1");
        let v: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["total"], total, "recordings removed during the run");
    });
    let _ = child.kill();
    let _ = child.wait();

    // Merge passes with the default rules, as the daemon runs them: each camera's pass starts
    // at its watermark and does at most `batch_limit` (200) segments.
    let db = Db::open(&dir.path().join("mibee-nvr.redb")).unwrap();
    let rules = MergeRules {
        ended_before_ns: i64::MAX,
        window_ns: 3_600_000_000_000,
        batch_limit: 200,
        min_segments: 3,
    };
    for pass in 1..=3 {
        let t = Instant::now();
        let mut merged = 0;
        for c in 0..CAMERAS {
            merged += db
                .merge_camera(&format!("cam-{c}"), rules)
                .unwrap()
                .segments_merged;
        }
        let took = t.elapsed().as_secs_f64();
        println!(
            "merge pass {pass} (8 cameras, {merged} segments merged): {:.0} ms (goal <= 1 s: {})",
            took * 1000.0,
            verdict(took <= 1.0)
        );
    }
}
