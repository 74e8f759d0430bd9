//! MJPEG cameras end to end: RTSP MJPEG (gst-rtsp-server), an HTTP multipart stream and an
//! HTTP single-JPEG URL (tests/fixtures/httpcam.py), recorded with `sample_interval` 1 and 3.
//! Frames are listed, each downloads as a valid JPEG, an out-of-range frame is a 404 JSON,
//! the whole recording downloads as MJPEG-in-MP4 that ffmpeg decodes, live view is
//! multipart JPEG or HLS from a live H.264 transcode, and snapshots are the latest frame.

mod common;
use common::fakecam::FakeCam;
use common::httpcam::HttpCam;
use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

fn camera(id: &str, protocol: &str, url: &str, extra: &str) -> String {
    camera_toml(id, protocol, "mjpeg", url, extra)
}

async fn recordings(d: &Daemon, cam: &str) -> Vec<Value> {
    let (s, v) = json(d.get(&format!("/api/recordings?camera_id={cam}&limit=100"))).await;
    assert_eq!(s, 200, "{v}");
    v["recordings"].as_array().unwrap().clone()
}

/// Checks every frame of the recording; returns (frames, duration s).
async fn check_frames(d: &Daemon, cam: &str, rec: &Value) -> (usize, f64) {
    let id = rec["id"].as_str().unwrap();
    assert_eq!(rec["format"], "mjpeg", "{rec}");
    let (s, v) = json(d.get(&format!("/api/recordings/{id}/frames"))).await;
    assert_eq!(s, 200, "{v}");
    let frames = v["frames"].as_array().unwrap();
    assert!(!frames.is_empty(), "{cam}: no frames");
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f["index"], i as u64);
        assert_eq!(
            f["filename"].as_str().unwrap(),
            format!("{cam}_{id}_{i:04}.jpg")
        );
        let resp = d
            .get(&format!("/api/recordings/{id}/download?frame={i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{cam} frame {i}");
        assert_eq!(resp.headers()["content-type"], "image/jpeg");
        let jpeg = resp.bytes().await.unwrap();
        assert_eq!(jpeg.len() as u64, f["size"].as_u64().unwrap());
        assert_eq!(&jpeg[..2], &[0xff, 0xd8], "{cam} frame {i}: SOI");
        assert_eq!(
            &jpeg[jpeg.len() - 2..],
            &[0xff, 0xd9],
            "{cam} frame {i}: EOI"
        );
    }
    // The middle frame decodes (ffmpeg, strict).
    let mid = frames.len() / 2;
    let jpeg = d
        .get(&format!("/api/recordings/{id}/download?frame={mid}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    common::media::assert_decodes_as(&format!("{cam}: frame {mid}"), "f.jpg", &jpeg);
    // Out of range: a JSON 404.
    let (s, v) = json(d.get(&format!(
        "/api/recordings/{id}/download?frame={}",
        frames.len()
    )))
    .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    // The whole recording: MJPEG in MP4, every frame there.
    let mp4 = d
        .get(&format!("/api/recordings/{id}/download"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let probe = common::media::probe_video("r.mp4", &mp4, "codec_name,nb_read_frames");
    assert_eq!(probe, format!("mjpeg,{}", frames.len()), "{cam}: {probe}");
    common::media::assert_decodes(cam, &mp4);
    (frames.len(), rec["duration"].as_f64().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn mjpeg_cameras_record_frames_and_play() {
    let rtsp = FakeCam::start(&["codec=mjpeg,size=320x240,fps=6,quality=60"], &[]);
    let http = HttpCam::start(12, 6.0);
    let auth = "username = \"viewer\"\npassword = \"s3cret\"";
    let cams = [
        camera("rtsp1", "rtsp", &rtsp.url(0), "sample_interval = 1"),
        camera("rtsp3", "rtsp", &rtsp.url(0), "sample_interval = 3"),
        camera(
            "multi1",
            "http",
            &http.url("/mjpeg"),
            &format!("sample_interval = 1\n{auth}"),
        ),
        camera(
            "multi3",
            "http",
            &http.url("/mjpeg"),
            &format!("sample_interval = 3\n{auth}"),
        ),
        camera(
            "poll1",
            "http",
            &http.url("/open.jpg"),
            "sample_interval = 1",
        ),
    ];
    let d = Daemon::start_with_config(Some(&format!(
        "[storage]\nsegment_duration = \"5s\"\n\n{}",
        cams.join("\n")
    )))
    .await;
    // Two complete recordings per camera (the first may start mid-second).
    let deadline = Instant::now() + Duration::from_secs(40);
    for id in ["rtsp1", "rtsp3", "multi1", "multi3", "poll1"] {
        loop {
            if recordings(&d, id).await.len() >= 2 {
                break;
            }
            let (_, v) = json(d.get(&format!("/api/cameras/{id}"))).await;
            assert!(Instant::now() < deadline, "{id} records: {v}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let mut fps = std::collections::HashMap::new();
    for id in ["rtsp1", "rtsp3", "multi1", "multi3", "poll1"] {
        let recs = recordings(&d, id).await;
        // Newest first: the second newest is complete and not the first of the run.
        let (n, secs) = check_frames(&d, id, &recs[1]).await;
        fps.insert(id, n as f64 / secs);
        println!("{id}: {n} frames in {secs:.2} s");
    }
    let near = |got: f64, want: f64| (got - want).abs() <= want * 0.3;
    assert!(near(fps["rtsp1"], 6.0), "{fps:?}");
    assert!(near(fps["rtsp3"], 2.0), "{fps:?}");
    assert!(near(fps["multi1"], 6.0), "{fps:?}");
    assert!(near(fps["multi3"], 2.0), "{fps:?}");
    assert!(near(fps["poll1"], 1.0), "polled every second: {fps:?}");

    // Live: multipart JPEG; HLS names are refused for MJPEG.
    let mut resp = d
        .get("/api/cameras/multi1/stream/stream.mjpeg")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/x-mixed-replace; boundary=")
    );
    let mut got = Vec::new();
    while got.windows(2).filter(|w| *w == [0xff, 0xd9]).count() < 3 {
        let chunk = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
            .await
            .expect("live frames")
            .unwrap()
            .expect("stream open");
        got.extend_from_slice(&chunk);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("Content-Type: image/jpeg"), "parts");
    drop(resp);
    // HLS of an MJPEG camera: a live H.264 transcode that ffmpeg reads strictly.
    let url = d.url("/api/cameras/multi1/stream/stream.m3u8");
    let out = Command::new("ffmpeg")
        .args([
            "-v", "error", "-xerror", "-i", &url, "-t", "3", "-f", "null", "-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "MJPEG as HLS: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
            &url,
        ])
        .output()
        .unwrap();
    let probe = String::from_utf8_lossy(&out.stdout);
    assert_eq!(probe.lines().next(), Some("h264,352,288"), "{probe}");

    // Snapshot: the latest frame as is.
    let resp = d.get("/api/cameras/rtsp1/snapshot").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-snapshot-source"], "frame");
    let jpeg = resp.bytes().await.unwrap();
    assert_eq!(&jpeg[..2], &[0xff, 0xd8]);

    // Frames are for MJPEG recordings only; bad queries are refused.
    let rec = &recordings(&d, "poll1").await[0];
    let id = rec["id"].as_str().unwrap();
    expect_error(
        d.get(&format!("/api/recordings/{id}/download?frame=x")),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(
        d.get(&format!("/api/recordings/{id}/download?frames=1")),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(
        d.get("/api/recordings/123/frames"),
        404,
        "RECORDING_NOT_FOUND",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_connection_of_http_mjpeg_cameras() {
    let http = HttpCam::start(4, 6.0);
    let d = Daemon::start().await;
    let test = async |url: String, user: &str, pass: &str| {
        let body = serde_json::json!({"protocol": "http", "encoding": "mjpeg", "url": url,
            "username": user, "password": pass});
        let (s, r) = json(d.post("/api/cameras/test-connection").json(&body)).await;
        assert_eq!(s, 200, "{r}");
        r
    };
    // A multipart stream: ten frames, with the picture size.
    let (user, pass) = (common::httpcam::USER, common::httpcam::PASSWORD);
    let r = test(http.url("/mjpeg"), user, pass).await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["details"]["frames_received"], 10, "{r}");
    assert_eq!(
        (
            r["details"]["width"].as_u64(),
            r["details"]["height"].as_u64()
        ),
        (Some(352), Some(288)),
        "{r}"
    );
    // A polled JPEG behind Digest: one frame is enough (the next comes a sample_interval later).
    let r = test(http.url("/digest.jpg"), user, pass).await;
    assert_eq!(r["success"], true, "{r}");
    assert!(
        r["details"]["frames_received"].as_u64().unwrap() >= 1,
        "{r}"
    );
    // Failures name their reason.
    for (path, user, pass, words) in [
        ("/mjpeg", user, "wrong", "authentication"),
        ("/notjpeg", "", "", "JPEG"),
        ("/missing.jpg", "", "", "404"),
    ] {
        let r = test(http.url(path), user, pass).await;
        assert_eq!(r["success"], false, "{path}: {r}");
        assert!(
            r["message"].as_str().unwrap().contains(words),
            "{path}: {r}"
        );
    }
    let (_, cams) = json(d.get("/api/cameras")).await;
    assert_eq!(cams.as_array().unwrap().len(), 0, "nothing saved");
}
