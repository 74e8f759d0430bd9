//! Health, readiness, system stats, metrics, OpenAPI, routing errors, and the CLI
//! (`--version`, `check`, `hash-password`, SIGTERM) against the real binary.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn health_and_readyz() {
    let d = Daemon::start().await;
    let (s, h) = json(d.get("/api/health")).await;
    assert_eq!(s, 200);
    assert_eq!(h["status"], "ok");
    assert_eq!(
        h["checks"]["database"],
        json!({"status": "ok", "message": ""})
    );
    assert_eq!(h["checks"]["storage"]["status"], "ok");
    assert!(h["checks"]["storage"]["total_bytes"].as_u64().unwrap() > 0);
    let up = h["uptime"].as_str().unwrap();
    assert!(
        up.ends_with('s')
            && up
                .trim_end_matches('s')
                .chars()
                .all(|c| c.is_ascii_digit() || "hm".contains(c)),
        "{up}"
    );
    assert_eq!(
        json(d.get("/api/readyz")).await,
        (200, json!({"status": "ok"}))
    );
}

#[tokio::test]
async fn health_is_unhealthy_when_storage_is_gone() {
    let d = Daemon::start().await;
    std::fs::remove_dir_all(d.dir.path().join("recordings")).unwrap();
    let (s, h) = json(d.get("/api/health")).await;
    assert_eq!(
        (s, h["status"].as_str().unwrap()),
        (503, "unhealthy"),
        "{h}"
    );
    assert_eq!(h["checks"]["storage"]["status"], "error");
    assert!(
        h["checks"]["storage"]["message"]
            .as_str()
            .unwrap()
            .contains("recordings")
    );
    assert_eq!(h["checks"]["database"]["status"], "ok");
}

#[tokio::test]
async fn system_stats_from_proc() {
    let d = Daemon::start().await;
    let (s, v) = json(d.get("/api/stats/system")).await;
    assert_eq!(s, 200, "{v}");
    let n = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_u64())
            .unwrap_or_else(|| panic!("{p} in {v}"))
    };
    assert!(n("/cpu/total") >= n("/cpu/idle") && n("/cpu/total") > 0);
    assert!(n("/memory/total") >= n("/memory/available"));
    let rss = n("/memory/process_rss");
    assert!(rss > 1 << 20 && rss < 512 << 20, "rss {rss}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(n("/timestamp").abs_diff(now) < 60);
    assert!(v["network"]["bytes_sent"].is_u64() && v["network"]["bytes_recv"].is_u64());
}

#[tokio::test]
async fn routing_errors_are_json() {
    let d = Daemon::start().await;
    expect_error(d.get("/api/nope"), 404, "NOT_FOUND").await;
    let resp = d.client.patch(d.url("/api/cameras")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let allow = resp.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["code"], "METHOD_NOT_ALLOWED");
    let resp = d.client.post(d.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let d = Daemon::start().await;
    for _ in 0..3 {
        json(d.get("/api/cameras/none")).await;
    }
    let text = text(d.get("/metrics")).await;
    assert!(
        text.contains(
            r#"mibee_http_requests_total{method="GET",route="/api/cameras/{id}",status="404"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains("mibee_process_resident_memory_bytes "),
        "{text}"
    );
    assert!(
        text.contains(r#"mibee_bytes_written{kind="config"}"#),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
}

#[tokio::test]
async fn openapi_lists_every_endpoint() {
    let d = Daemon::start().await;
    let (s, doc) = json(d.get("/api/openapi.json")).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/health", vec!["get"]),
        ("/api/readyz", vec!["get"]),
        ("/api/stats/system", vec!["get"]),
        ("/metrics", vec!["get"]),
        ("/api/cameras", vec!["get", "post"]),
        ("/api/cameras/{id}", vec!["get", "put", "delete"]),
        ("/api/cameras/{id}/merge-config", vec!["put", "delete"]),
        ("/api/settings", vec!["get", "put"]),
        ("/api/settings/merge", vec!["get", "put"]),
        ("/api/features", vec!["get", "put"]),
    ] {
        for m in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(m)).is_some(),
                "{m} {path} missing"
            );
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["basic"]["scheme"],
        "basic"
    );
}

#[test]
fn cli_version_hash_and_check() {
    let out = std::process::Command::new(BIN)
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("mibee-nvr {}", env!("CARGO_PKG_VERSION"))
    );

    let out = std::process::Command::new(BIN)
        .args(["hash-password", "pw-from-cli"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap();
    assert!(mibee_nvr::auth::verify_password("pw-from-cli", hash.trim()));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("mibee-nvr.toml");
    std::fs::write(&cfg, mibee_nvr::config::EXAMPLE_TOML).unwrap();
    let (ok, stdout, stderr) = cli(&cfg, &["check"]);
    assert!(ok && stdout.contains("config ok"), "{stdout}{stderr}");
}

#[tokio::test]
async fn check_verifies_the_database_after_a_run_and_sigterm_is_clean() {
    let mut d = Daemon::start().await;
    json(
        d.post("/api/cameras")
            .json(&json!({"name": "A", "url": "rtsp://127.0.0.1/a"})),
    )
    .await;
    let status = d.stop();
    assert!(status.success(), "{status}");
    let (ok, stdout, stderr) = cli(&d.config_path(), &["check"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("database ok")
            && stdout.contains(&format!(
                "schema v{}",
                mibee_nvr::db::CURRENT_SCHEMA_VERSION
            ))
            && stdout.contains("agree with the disk"),
        "{stdout}"
    );
    assert!(stdout.contains("(1 cameras)"), "{stdout}");
}

#[tokio::test]
async fn system_info_and_appliance_only_operations_off_the_appliance() {
    let d = Daemon::start().await;
    let (s, info) = json(d.get("/api/system/info")).await;
    assert_eq!(s, 200);
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        info["firmware_version"].is_null() && info["slot"].is_null(),
        "{info}"
    );
    assert!(info["uptime"].as_str().unwrap().ends_with('s'));
    // A development machine must never be rebooted or flashed by the API.
    expect_error(d.post("/api/system/reboot"), 501, "NOT_IMPLEMENTED").await;
    expect_error(
        d.post("/api/system/update").body(b"bundle".to_vec()),
        501,
        "NOT_IMPLEMENTED",
    )
    .await;
    let (s, st) = json(d.get("/api/system/update")).await;
    assert_eq!((s, st["state"].as_str()), (200, Some("idle")));
    expect_error(
        d.post("/api/system/update?reboot=maybe")
            .body(b"x".to_vec()),
        400,
        "INVALID_INPUT",
    )
    .await;
    // Nor is its clock set: bad times are refused first, a good one is not for this machine.
    let (s, t) = json(d.get("/api/system/time")).await;
    assert_eq!(s, 200);
    assert!(t["time"].as_str().unwrap().ends_with('Z'), "{t}");
    let before = t["time"].clone();
    for bad in [
        serde_json::json!({"time": "yesterday"}),
        serde_json::json!({"time": "1999-01-01T00:00:00Z"}),
        serde_json::json!({"time": "2301-01-01T00:00:00Z"}),
        serde_json::json!({"when": "2027-01-01T00:00:00Z"}),
    ] {
        expect_error(d.put("/api/system/time").json(&bad), 400, "INVALID_INPUT").await;
    }
    expect_error(
        d.put("/api/system/time")
            .json(&serde_json::json!({"time": "2027-01-01T00:00:00Z"})),
        501,
        "NOT_IMPLEMENTED",
    )
    .await;
    let (_, t) = json(d.get("/api/system/time")).await;
    assert!(
        t["time"].as_str().unwrap() >= before.as_str().unwrap(),
        "{t}"
    );
    assert!(
        !t["time"].as_str().unwrap().starts_with("2027"),
        "the clock was not set: {t}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transcoding_check_measures_a_real_encode_once() {
    let d = Daemon::start().await;
    let t0 = std::time::Instant::now();
    let (s, v) = json(d.get("/api/transcoding/check")).await;
    let first = t0.elapsed();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["supported"], true, "{v}");
    assert_eq!(v["encoders"]["h264"], "openh264");
    assert_eq!(v["h264_encoder_type"], "software");
    assert_eq!(v["h265_encoder_type"], "none");
    let b = &v["benchmark"];
    assert_eq!(
        (b["width"].as_u64(), b["height"].as_u64()),
        (Some(1280), Some(720))
    );
    let frames = b["frames"].as_f64().unwrap();
    let secs = b["seconds"].as_f64().unwrap();
    assert!(frames >= 1.0 && secs > 0.0 && secs <= 2.5, "{b}");
    let fps = v["estimated_fps"].as_f64().unwrap();
    assert!((fps - frames / secs).abs() <= 0.1 + fps * 0.01, "{v}");
    let cores = std::thread::available_parallelism().unwrap().get() as u64;
    assert_eq!(v["total_cores"].as_u64(), Some(cores));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kb: u64 = meminfo
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(v["total_memory_mb"].as_u64(), Some(kb / 1024));
    let want = (((cores - 1).max(1) as f64) * fps / 10.0)
        .floor()
        .min((kb / 1024 / 2 / 64) as f64);
    assert_eq!(v["max_concurrent"].as_f64(), Some(want), "{v}");
    assert_eq!(v["devices"][0]["type"], "cpu");
    assert!(!v["devices"][0]["name"].as_str().unwrap().is_empty());
    // This machine has no V4L2 codec: said so, not invented.
    let m2m = std::path::Path::new("/dev/video0").exists();
    if !m2m {
        assert_eq!(v["devices"].as_array().unwrap().len(), 1, "{v}");
        assert!(
            v["warnings"]
                .to_string()
                .contains("no hardware video encoder"),
            "{v}"
        );
    }
    // Cached: the second answer is the same measurement, at once.
    let t1 = std::time::Instant::now();
    let (_, again) = json(d.get("/api/transcoding/check")).await;
    assert!(
        t1.elapsed()
            < first.min(std::time::Duration::from_millis(200))
                + std::time::Duration::from_millis(50)
    );
    assert_eq!(again["benchmark"], v["benchmark"]);
}
