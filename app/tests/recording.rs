//! Recording against real RTSP cameras (GStreamer's gst-rtsp-server via our fakecam
//! fixture): every codec, profile, transport and auth scheme; reconnection after drop,
//! down/up and stall; `kill -9` recovery; bad cameras. Every recording produced is
//! downloaded and fully decoded with `ffmpeg -xerror`.

mod common;
use common::fakecam::FakeCam;
use common::recordings::*;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// These tests load the CPU with encoders; run them one at a time so timings hold.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn camera(id: &str, url: &str, extra: &str) -> String {
    camera_toml(id, "rtsp", "h264", url, extra)
}

fn config(cameras: &[String]) -> String {
    format!(
        "[storage]\nsegment_duration = \"10s\"\n\n{}",
        cameras.join("\n")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_every_codec_transport_and_auth() {
    let _g = SERIAL.lock().await;
    let spec = ",size=320x240,fps=15,gop=15";
    let digest = FakeCam::start(
        &[&format!("codec=h264{spec}"), &format!("codec=h265{spec}")],
        &[
            "--auth",
            "digest",
            "--user",
            "admin",
            "--password",
            "secret",
        ],
    );
    let basic = FakeCam::start(
        &[
            &format!("codec=h264,profile=main{spec}"),
            &format!("codec=h264,profile=high{spec}"),
        ],
        &["--auth", "basic", "--user", "viewer", "--password", "pw2"],
    );
    let cams = [
        camera(
            "base-tcp-digest",
            &digest.url(0),
            "username = \"admin\"\npassword = \"secret\"",
        ),
        camera(
            "h265-tcp-digest",
            &digest.url(1),
            "encoding = \"h265\"\nusername = \"admin\"\npassword = \"secret\"",
        )
        .replace("encoding = \"h264\"\n", ""),
        camera(
            "main-udp-basic",
            &basic.url(0),
            "username = \"viewer\"\npassword = \"pw2\"\nrtsp_transport = \"udp\"",
        ),
        camera(
            "high-tcp-basic",
            &basic.url(1),
            "username = \"viewer\"\npassword = \"pw2\"",
        ),
    ];
    let d = Daemon::start_with_config(Some(&config(&cams))).await;
    let ids = [
        "base-tcp-digest",
        "h265-tcp-digest",
        "main-udp-basic",
        "high-tcp-basic",
    ];
    for id in ids {
        wait_status(&d, id, "recording", Duration::from_secs(20)).await;
    }
    // 55 s of each camera in the index (closed recordings), then the last ones flushed.
    for id in ids {
        wait_recorded(&d, id, 55.0, Duration::from_secs(120)).await;
    }
    stop_all_and_flush(&d, &ids).await;
    for (id, want) in [
        ("base-tcp-digest", "Constrained Baseline"),
        ("h265-tcp-digest", "Main"),
        ("main-udp-basic", "Main"),
        ("high-tcp-basic", "High"),
    ] {
        let (total, profile) = verify_all(&d, id, 15.0, true).await;
        assert!(total >= 55.0, "{id}: only {total} s recorded");
        assert_eq!(profile, want, "{id}");
        let recs = recordings(&d, id).await;
        assert!(recs.iter().all(|r| r["format"]
            == if id.starts_with("h265") {
                "h265"
            } else {
                "h264"
            }));
    }
}

/// Digest with qop=auth (RFC 7616), as most cameras answer and gst-rtsp-server cannot: the
/// proxy fixture checks every request of the session in full (nonce, nc, cnonce, uri, response)
/// before it reaches the camera. The recording decodes; a wrong password ends in `error`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_through_digest_with_qop() {
    let _g = SERIAL.lock().await;
    let fc = FakeCam::start(&["codec=h264,size=320x240,fps=15,gop=15"], &[]);
    let proxy = common::fakecam::DigestQopProxy::start(&fc, 0, "admin", "s3cret");
    let cams = [
        camera(
            "qop",
            &proxy.url(&fc, 0),
            "username = \"admin\"\npassword = \"s3cret\"",
        ),
        camera(
            "qop-wrong",
            &proxy.url(&fc, 0),
            "username = \"admin\"\npassword = \"nope\"",
        ),
    ];
    let d = Daemon::start_with_config(Some(&config(&cams))).await;
    wait_status(&d, "qop", "recording", Duration::from_secs(20)).await;
    wait_status(&d, "qop-wrong", "error", Duration::from_secs(15)).await;
    let reason = cam(&d, "qop-wrong").await["status_reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("authentication"), "{reason}");
    wait_recorded(&d, "qop", 10.0, Duration::from_secs(60)).await;
    stop_and_flush(&d, "qop").await;
    let (total_s, _) = verify_all(&d, "qop", 15.0, true).await;
    assert!(total_s >= 10.0, "recorded {total_s} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_drop_down_and_stall() {
    let _g = SERIAL.lock().await;
    let fc = FakeCam::start(&["codec=h264,size=320x240,fps=15,gop=15"], &[]);
    let d = Daemon::start_with_config(Some(&config(&[camera("cam", &fc.url(0), "")]))).await;
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
    wait_recording_run(&d, "cam", 3.0, Duration::from_secs(15)).await;

    // Returns once media newer than `t` arrived; asserts it took at most `limit`.
    async fn resumes_within(d: &Daemon, t: i128, limit: Duration, what: &str) {
        let started = Instant::now();
        wait_for(what, Duration::from_secs(15), async || {
            cam(d, "cam").await["last_seen"]
                .as_str()
                .is_some_and(|s| ns(s) > t)
        })
        .await;
        assert!(
            started.elapsed() <= limit,
            "{what}: recording resumed after {:?}",
            started.elapsed()
        );
    }

    fc.control(0, "drop").await;
    let t = now_ns();
    resumes_within(&d, t, Duration::from_secs(2), "after drop").await;

    let since_before = ns(cam(&d, "cam").await["recording_since"]
        .as_str()
        .expect("recording_since while recording"));
    fc.control(0, "down").await;
    wait_status(&d, "cam", "reconnecting", Duration::from_secs(15)).await;
    let c = cam(&d, "cam").await;
    assert!(!c["status_reason"].as_str().unwrap().is_empty());
    assert!(c["recording_since"].is_null(), "not recording: {c}");
    // The outage itself: the camera stays down for 3 s.
    tokio::time::sleep(Duration::from_secs(3)).await;
    fc.control(0, "up").await;
    let t = now_ns();
    resumes_within(&d, t, Duration::from_secs(2), "after down/up").await;
    wait_status(&d, "cam", "recording", Duration::from_secs(5)).await;
    // The new run of recording starts after the outage, and no later than the last packet.
    let c = cam(&d, "cam").await;
    let since = ns(c["recording_since"].as_str().unwrap());
    assert!(since > since_before && since >= t - 1_000_000_000, "{c}");
    assert!(since <= ns(c["last_seen"].as_str().unwrap()), "{c}");

    fc.control(0, "stall").await;
    // The stall itself: 3 s without media on an open connection.
    tokio::time::sleep(Duration::from_secs(3)).await;
    fc.control(0, "resume").await;
    let t = now_ns();
    resumes_within(&d, t, Duration::from_secs(2), "after stall/resume").await;
    // 3 s of video after the resume, then the last recording flushed.
    wait_seen(&d, "cam", t + 3_000_000_000, Duration::from_secs(15)).await;
    stop_and_flush(&d, "cam").await;
    verify_all(&d, "cam", 15.0, false).await;
    let text = text(d.get("/metrics")).await;
    for kind in ["video", "config", "process_total", "index_and_other"] {
        let prefix = format!("mibee_bytes_written{{kind=\"{kind}\"}}");
        assert!(
            text.lines().any(|l| l.starts_with(&prefix)),
            "{kind}: {text}"
        );
    }
    let video: f64 = text
        .lines()
        .find(|l| l.starts_with("mibee_bytes_written{kind=\"video\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap();
    assert!(video > 100_000.0, "video bytes counted: {video}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_at_most_one_gop() {
    let _g = SERIAL.lock().await;
    let fc = FakeCam::start(&["codec=h264,size=320x240,fps=15,gop=15"], &[]); // 1 s GOP
    let mut d = Daemon::start_with_config(Some(&config(&[camera("cam", &fc.url(0), "")]))).await;
    let mut kills = Vec::new();
    for round in 0..10u64 {
        wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
        // Killed 3.0 to 5.1 s of video into the run: at varying points of the GOP.
        let secs = 3.0 + 0.7 * (round % 4) as f64;
        wait_recording_run(&d, "cam", secs, Duration::from_secs(20)).await;
        // The last frame that reached the daemon before the kill.
        let last_seen = ns(cam(&d, "cam").await["last_seen"].as_str().unwrap());
        d.kill9();
        kills.push(last_seen);
        d.spawn().await;
    }
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
    wait_recording_run(&d, "cam", 2.0, Duration::from_secs(15)).await;
    assert!(d.stop().success());
    let (ok, stdout, stderr) = cli(&d.config_path(), &["check"]);
    assert!(ok, "check after 10 kills: {stdout}{stderr}");
    d.spawn().await;
    let recs = recordings(&d, "cam").await;
    for r in &recs {
        verify(&d, r).await;
    }
    for (i, k) in kills.iter().enumerate() {
        let end = recs
            .iter()
            .filter(|r| ns(r["started_at"].as_str().unwrap()) < *k)
            .map(|r| ns(r["ended_at"].as_str().unwrap()))
            .max()
            .unwrap_or(0);
        let lost_s = (*k - end) as f64 / 1e9;
        assert!(lost_s <= 1.5, "kill {i}: {lost_s:.3} s lost (GOP 1 s)");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_cameras_fail_cleanly() {
    let _g = SERIAL.lock().await;
    let fc = FakeCam::start(
        &[
            "codec=h264,size=320x240,fps=15,gop=45,kf_on_play=0",
            "codec=h264,size=320x240,fps=15,gop=15",
        ],
        &[
            "--auth",
            "digest",
            "--user",
            "admin",
            "--password",
            "secret",
            "--garbage",
        ],
    );
    let garbage = fc.ready["garbage"]["url"].as_str().unwrap().to_string();
    let cams = [
        // Joins mid-GOP: P-frames arrive before the first IDR.
        camera(
            "late-join",
            &fc.url(0),
            "username = \"admin\"\npassword = \"secret\"",
        ),
        camera(
            "wrong-pw",
            &fc.url(1),
            "username = \"admin\"\npassword = \"nope\"",
        ),
        camera("garbage", &garbage, ""),
        // Never contacted: tests run the daemon in loopback-only mode.
        camera("outside", "rtsp://192.0.2.1:554/stream", ""),
    ];
    // Let the shared stream run so the next client joins mid-GOP.
    let warm = tokio::process::Command::new("ffprobe")
        .args(["-v", "quiet", "-rtsp_transport", "tcp", "-i"])
        .arg(fc.cams[0]["url"].as_str().unwrap())
        .args(["-show_entries", "stream=codec_name"])
        .output();
    let _ = tokio::time::timeout(Duration::from_secs(10), warm).await;
    let d = Daemon::start_with_config(Some(&config(&cams))).await;

    wait_status(&d, "wrong-pw", "error", Duration::from_secs(15)).await;
    let reason = cam(&d, "wrong-pw").await["status_reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("authentication"), "{reason}");
    let attempts = |t: &str| -> u64 {
        t.lines()
            .find(|l| l.starts_with("mibee_camera_connect_attempts{camera=\"wrong-pw\"}"))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap()
    };
    let before = attempts(&text(d.get("/metrics")).await);
    // The measurement window: connection attempts counted over 8 s.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = attempts(&text(d.get("/metrics")).await);
    assert!(
        after - before <= 2,
        "retry storm: {} attempts in 8 s",
        after - before
    );

    wait_status(&d, "outside", "error", Duration::from_secs(10)).await;
    assert!(
        cam(&d, "outside").await["status_reason"]
            .as_str()
            .unwrap()
            .contains("loopback-only")
    );
    let g = cam(&d, "garbage").await;
    assert!(
        ["reconnecting", "connecting", "error"].contains(&g["status"].as_str().unwrap()),
        "{g}"
    );
    assert_eq!(
        json(d.get("/api/health")).await.0,
        200,
        "daemon healthy with bad cameras"
    );

    wait_status(&d, "late-join", "recording", Duration::from_secs(20)).await;
    wait_recording_run(&d, "late-join", 12.0, Duration::from_secs(30)).await;
    stop_and_flush(&d, "late-join").await;
    // Decodes with -xerror: the recording starts at the first IDR, not on a P-frame.
    verify_all(&d, "late-join", 15.0, true).await;

    // A URL that is not RTSP is refused up front.
    expect_error(
        d.post("/api/cameras")
            .json(&json!({"name": "x", "protocol": "rtsp", "url": "http://127.0.0.1/x"})),
        400,
        "INVALID_INPUT",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_stop_and_test_connection() {
    let _g = SERIAL.lock().await;
    let fc = FakeCam::start(
        &["codec=h264,size=320x240,fps=15,gop=15"],
        &[
            "--auth",
            "digest",
            "--user",
            "admin",
            "--password",
            "secret",
        ],
    );
    let cams = [
        camera(
            "cam",
            &fc.url(0),
            "username = \"admin\"\npassword = \"secret\"",
        ),
        camera("off", &fc.url(0), "enabled = false"),
    ];
    let d = Daemon::start_with_config(Some(&config(&cams))).await;
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
    expect_error(
        d.post("/api/cameras/cam/start"),
        400,
        "CAMERA_ALREADY_RUNNING",
    )
    .await;
    expect_error(d.post("/api/cameras/off/start"), 400, "CAMERA_DISABLED").await;
    expect_error(d.post("/api/cameras/ghost/start"), 404, "CAMERA_NOT_FOUND").await;
    assert_eq!(
        json(d.post("/api/cameras/cam/stop")).await,
        (200, json!({"status": "stopped"}))
    );
    assert_eq!(cam(&d, "cam").await["status"], "stopped");
    let restarted = now_ns();
    assert_eq!(
        json(d.post("/api/cameras/cam/start")).await,
        (200, json!({"status": "started"}))
    );
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;

    let (s, ok) = json(d.post("/api/cameras/test-connection").json(&json!({
        "protocol": "rtsp", "encoding": "h264", "url": fc.url(0), "username": "admin", "password": "secret"
    })))
    .await;
    assert_eq!(s, 200);
    assert_eq!(ok["success"], true, "{ok}");
    assert_eq!(ok["details"]["frames_received"], 10);
    assert!(ok["details"]["latency_ms"].as_u64().unwrap() < 10_000);
    assert_eq!(ok["details"]["width"], 320);
    let (_, bad) = json(d.post("/api/cameras/test-connection").json(&json!({
        "url": fc.url(0), "username": "admin", "password": "wrong"
    })))
    .await;
    assert_eq!(bad["success"], false);
    assert!(
        bad["message"].as_str().unwrap().contains("authentication"),
        "{bad}"
    );
    expect_error(
        d.post("/api/cameras/test-connection")
            .json(&json!({"url": "ftp://127.0.0.1/x"})),
        400,
        "INVALID_INPUT",
    )
    .await;

    // Recordings API error paths and a Range request on a real recording: a whole segment
    // of the restarted camera is in the index.
    wait_for(
        "a recording after the restart",
        Duration::from_secs(60),
        async || {
            recordings(&d, "cam")
                .await
                .iter()
                .any(|r| ns(r["started_at"].as_str().unwrap()) >= restarted)
        },
    )
    .await;
    expect_error(d.get("/api/recordings/123"), 404, "RECORDING_NOT_FOUND").await;
    expect_error(d.get("/api/recordings/abc"), 404, "RECORDING_NOT_FOUND").await;
    expect_error(d.get("/api/recordings?limit=0"), 400, "INVALID_INPUT").await;
    expect_error(d.get("/api/recordings?limit=1001"), 400, "INVALID_INPUT").await;
    expect_error(
        d.get("/api/recordings?start=yesterday"),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(d.get("/api/recordings?format=vp9"), 400, "INVALID_INPUT").await;
    let recs = recordings(&d, "cam").await;
    assert!(!recs.is_empty());
    let id = recs[0]["id"].as_str().unwrap();
    let full = d
        .get(&format!("/api/recordings/{id}/download"))
        .send()
        .await
        .unwrap();
    let etag = full.headers()["etag"].clone();
    assert!(
        full.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment; filename=\"cam-")
    );
    let full = full.bytes().await.unwrap();
    let part = d
        .get(&format!("/api/recordings/{id}/download"))
        .header("range", "bytes=100-1099")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        format!("bytes 100-1099/{}", full.len())
    );
    assert_eq!(&part.bytes().await.unwrap()[..], &full[100..1100]);
    let nm = d
        .get(&format!("/api/recordings/{id}/download"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(nm.status(), 304);
    // Past the end: 416 in our JSON with `Content-Range: bytes */len`; an unparsable
    // Range is ignored (200, the whole body), as RFC 9110 says.
    for range in [format!("bytes={}-", full.len()), "bytes=999999999-".into()] {
        let bad = d
            .get(&format!("/api/recordings/{id}/download"))
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 416);
        let h = bad.headers().clone();
        assert_eq!(
            h["content-range"],
            format!("bytes */{}", full.len()).as_str()
        );
        assert_eq!(h["content-type"], "application/json");
        let v: serde_json::Value = bad.json().await.unwrap();
        assert_eq!(v["code"], "RANGE_NOT_SATISFIABLE", "{v}");
    }
    for range in ["bytes=abc", "bytes=9-1", "items=0-1"] {
        let r = d
            .get(&format!("/api/recordings/{id}/download"))
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{range}");
        assert_eq!(r.bytes().await.unwrap().len(), full.len(), "{range}");
    }
    // Only the canonical spelling of an id names a recording; a path that is not UTF-8 is
    // a JSON 400; a time past 2262 is refused, never wrapped.
    for path in ["", "/download", "/frames"] {
        for alias in [format!("+{id}"), format!("0{id}")] {
            let p = format!("/api/recordings/{alias}{path}");
            expect_error(d.get(&p), 404, "RECORDING_NOT_FOUND").await;
        }
        let p = format!("/api/recordings/%FF{path}");
        expect_error(d.get(&p), 400, "INVALID_INPUT").await;
    }
    expect_error(
        d.delete(&format!("/api/recordings/+{id}")),
        404,
        "RECORDING_NOT_FOUND",
    )
    .await;
    expect_error(d.delete("/api/recordings/%FF"), 400, "INVALID_INPUT").await;
    expect_error(
        d.get("/api/recordings?start=2300-01-01T00:00:00Z"),
        400,
        "INVALID_INPUT",
    )
    .await;

    // Filters and pagination.
    let (_, all) = json(d.get("/api/recordings")).await;
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 1);
    let (_, page) =
        json(d.get("/api/recordings?limit=1&offset=0&camera_id=cam&format=h264&merged=false"))
            .await;
    assert_eq!(page["total"].as_u64().unwrap(), total);
    assert_eq!(page["recordings"].as_array().unwrap().len(), 1);
    let (_, none) = json(d.get("/api/recordings?format=h265")).await;
    assert_eq!(none["total"], 0);
    let (_, future) = json(d.get("/api/recordings?start=2099-01-01T00:00:00Z")).await;
    assert_eq!(future["total"], 0);

    // Delete one, batch-delete the rest (plus an unknown id).
    assert_eq!(
        json(d.delete(&format!("/api/recordings/{id}"))).await,
        (200, json!({"status": "deleted"}))
    );
    expect_error(
        d.get(&format!("/api/recordings/{id}")),
        404,
        "RECORDING_NOT_FOUND",
    )
    .await;
    let rest: Vec<String> = recordings(&d, "cam")
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let mut ids = rest.clone();
    ids.push("42".into());
    let (s, r) = json(
        d.post("/api/recordings/batch-delete")
            .json(&json!({"recording_ids": ids})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(r, json!({"deleted": rest.len(), "failed": 1}));
}
