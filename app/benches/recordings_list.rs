//! Benchmark: `GET /api/recordings` pages of 50 with 1,000,000 recordings indexed.
//! Fills a metadata database through the library (8 cameras, 30 s recordings), starts the
//! real daemon on it, and times pages over HTTP on 127.0.0.1: newest page, a camera's page,
//! a deep page, and a one-hour time window. Goal (architecture.md): p99 ≤ 5 ms.

use mibee_nvr::db::{Db, FileRow, IndexOp, RecordingRow};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RECORDINGS: u64 = 1_000_000;
const CAMERAS: u64 = 8;
const REQUESTS: usize = 500;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("mibee-nvr.redb");
    let fill = Instant::now();
    {
        let db = Db::open(&db_path).unwrap();
        let mut files = Vec::new();
        for c in 0..CAMERAS {
            let mut row = FileRow {
                camera_id: format!("cam-{c}"),
                rel_path: format!("cam-{c}/bench"),
                init_len: 1000,
                start_wall_ns: 0,
                start_media_90k: 0,
                sealed: true,
                format: "h264".into(),
                width: 1920,
                height: 1080,
            };
            let id = db.create_file(&mut row).unwrap();
            files.push(id);
            // The media file exists (sparse, as long as its recordings): the daemon's cleanup
            // pass would otherwise drop the recordings of a file the disk lost while the
            // benchmark runs.
            let path = dir.path().join("recordings").join(&row.rel_path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::File::create(&path)
                .unwrap()
                .set_len(1000 + RECORDINGS / CAMERAS * 15_000_000)
                .unwrap();
        }
        let start_ns: i64 = 1_700_000_000_000_000_000;
        let per_cam = RECORDINGS / CAMERAS;
        let mut batch = Vec::with_capacity(20_000);
        for i in 0..per_cam {
            for c in 0..CAMERAS {
                batch.push(IndexOp::InsertRecording(RecordingRow {
                    camera_id: format!("cam-{c}"),
                    file_id: files[c as usize],
                    byte_start: 1000 + i * 15_000_000,
                    byte_end: 1000 + (i + 1) * 15_000_000,
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
    let db_mib = std::fs::metadata(&db_path).unwrap().len() as f64 / (1 << 20) as f64;
    println!(
        "filled {RECORDINGS} recordings ({CAMERAS} cameras) in {:.1} s; database {db_mib:.1} MiB",
        fill.elapsed().as_secs_f64()
    );

    // The index stays as filled while pages are timed: retention long enough that none of the
    // (2023) recordings is due, and no merge pass (it would combine them as it goes).
    std::fs::write(
        dir.path().join("mibee-nvr.toml"),
        "[cleanup]\nretention_days = 3650\n\n[merge]\nenabled = false\n",
    )
    .unwrap();
    let ready = dir.path().join("ready");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mibee-nvr"))
        .arg("--config")
        .arg(dir.path().join("mibee-nvr.toml"))
        .args(["serve", "--listen", "127.0.0.1:0", "--ready-file"])
        .arg(&ready)
        .env("RUST_LOG", "warn")
        .env("MIBEE_LOOPBACK_CAMERAS_ONLY", "true")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
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
                if p(0.99) <= 5.0 { "met" } else { "NOT met" }
            );
        }
        // Nothing was removed while it ran: every page above saw the whole index.
        let url = format!("http://{addr}/api/recordings?limit=1");
        let v: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["total"], RECORDINGS, "recordings removed during the run");
    });
    let _ = child.kill();
    let _ = child.wait();
}
