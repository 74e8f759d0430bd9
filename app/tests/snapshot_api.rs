//! Snapshots through the API: from `snapshot_url` (a local HTTP camera endpoint with Basic
//! and with Digest), cached for 5 s and served stale when the camera fails; clear errors
//! within the timeout for slow, unreachable, rejecting and non-JPEG endpoints; and decoded
//! from the latest H.264 key frame of a real RTSP camera (a JPEG of the camera's size).

mod common;
use common::fakecam::FakeCam;
use common::httpcam::HttpCam;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

fn camera(id: &str, url: &str, encoding: &str, extra: &str) -> String {
    camera_toml(id, "rtsp", encoding, url, extra)
}

fn snap_cam(id: &str, snapshot_url: &str, password: &str) -> String {
    // The RTSP address is never used: snapshots come from snapshot_url.
    camera(
        id,
        "rtsp://127.0.0.1:9/none",
        "h264",
        &format!(
            "snapshot_url = \"{snapshot_url}\"\nusername = \"viewer\"\npassword = \"{password}\"\nenabled = false"
        ),
    )
}

/// GET the snapshot: (status, headers, body).
async fn snapshot(d: &Daemon, id: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = d
        .get(&format!("/api/cameras/{id}/snapshot"))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

fn error_of(status: u16, body: &[u8]) -> (u16, String, String) {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(body)));
    (
        status,
        v["code"].as_str().unwrap().to_string(),
        v["error"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_url_with_basic_and_digest_cached_and_served_stale() {
    let srv = HttpCam::start(1, 5.0);
    let cams = [
        snap_cam("basic", &srv.url("/basic.jpg"), "s3cret"),
        snap_cam("digest", &srv.url("/digest.jpg"), "s3cret"),
        snap_cam("wrong", &srv.url("/digest.jpg"), "nope"),
        snap_cam("slow", &srv.url("/slow.jpg"), "s3cret"),
        snap_cam("html", &srv.url("/notjpeg"), "s3cret"),
        snap_cam("closed", "http://127.0.0.1:9/snap.jpg", "s3cret"),
    ];
    let d = Daemon::start_with_config(Some(&cams.join("\n"))).await;

    for (id, path) in [("basic", "/basic.jpg"), ("digest", "/digest.jpg")] {
        let (s, h, body) = snapshot(&d, id).await;
        assert_eq!(s, 200, "{id}: {}", String::from_utf8_lossy(&body));
        assert_eq!(h["content-type"], "image/jpeg");
        assert_eq!(h["cache-control"], "max-age=5");
        assert_eq!(h["x-snapshot-source"], "snapshot_url");
        assert!(h.get("x-snapshot-stale").is_none());
        assert_eq!(body, srv.jpeg, "{id}: the camera's image, byte for byte");
        assert_eq!(srv.served(path).await, 1, "{id}");
        // Within 5 s the cached copy answers; the camera is not asked again.
        let (s, _, again) = snapshot(&d, id).await;
        assert_eq!((s, again == srv.jpeg), (200, true));
        assert_eq!(srv.served(path).await, 1, "{id}: cached");
    }

    // Errors, each within the timeout and with a reason.
    for (id, wants) in [
        ("wrong", "rejected the credentials"),
        ("html", "not a JPEG"),
        ("closed", "cannot reach the camera"),
        ("slow", "did not answer within 5s"),
    ] {
        let t0 = Instant::now();
        let (s, _, body) = snapshot(&d, id).await;
        let took = t0.elapsed();
        let (status, code, msg) = error_of(s, &body);
        assert_eq!(
            (status, code.as_str()),
            (502, "CAMERA_UNREACHABLE"),
            "{id}: {msg}"
        );
        assert!(msg.contains(wants), "{id}: {msg}");
        assert!(took < Duration::from_secs(7), "{id} took {took:?}");
    }

    // The camera goes bad: after the fresh period the last image is served, marked stale
    // (until then the cached copy answers, fresh).
    srv.post("/fail").await;
    let mut answer = None;
    wait_for(
        "the snapshot served stale",
        Duration::from_secs(15),
        async || {
            let (s, h, body) = snapshot(&d, "basic").await;
            if s == 200 && h.get("x-snapshot-stale").is_none() {
                assert_eq!(body, srv.jpeg, "the cached copy while fresh");
                return false;
            }
            answer = Some((s, h, body));
            true
        },
    )
    .await;
    let (s, h, body) = answer.unwrap();
    assert_eq!(s, 200);
    assert_eq!(body, srv.jpeg);
    assert_eq!(h["x-snapshot-stale"], "true");
    assert!(
        h["warning"].to_str().unwrap().contains("HTTP 500"),
        "{:?}",
        h["warning"]
    );
    srv.post("/heal").await;
    let (s, h, _) = snapshot(&d, "basic").await;
    assert_eq!(s, 200);
    assert!(h.get("x-snapshot-stale").is_none(), "fresh again");
    assert_eq!(srv.served("/basic.jpg").await, 2);

    expect_error(d.get("/api/cameras/nope/snapshot"), 404, "CAMERA_NOT_FOUND").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_decodes_the_latest_h264_key_frame() {
    let cams = FakeCam::start(
        &[
            "codec=h264,size=480x272,fps=15,gop=15",
            "codec=h265,size=320x240,fps=15,gop=15",
        ],
        &[],
    );
    let d = Daemon::start_with_config(Some(&format!(
        "{}\n{}",
        camera("h264", &cams.url(0), "h264", ""),
        camera("h265", &cams.url(1), "h265", "")
    )))
    .await;
    wait_for("camera recording", Duration::from_secs(20), async || {
        json(d.get("/api/cameras/h264")).await.1["status"] == "recording"
    })
    .await;
    let (s, h, jpeg) = snapshot(&d, "h264").await;
    let cached = Instant::now();
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&jpeg));
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["cache-control"], "max-age=5");
    assert_eq!(h["x-snapshot-source"], "keyframe");
    assert_eq!(
        common::media::probe_video("snap.jpg", &jpeg, "codec_name,width,height"),
        "mjpeg,480,272"
    );
    common::media::assert_decodes_as("the snapshot", "snap.jpg", &jpeg);

    // H.265 without a snapshot URL: a clear answer, not a broken image.
    let (s, _, body) = snapshot(&d, "h265").await;
    let (status, code, msg) = error_of(s, &body);
    assert_eq!((status, code.as_str()), (501, "NOT_IMPLEMENTED"), "{msg}");
    assert!(msg.contains("snapshot_url"), "{msg}");

    // A stopped camera: a live-only connection gives the key frame.
    let (s, _) = json(d.post("/api/cameras/h264/stop")).await;
    assert_eq!(s, 200);
    // The time is the stimulus: the image cached above stays fresh for 5 s (nothing outside
    // the daemon shows when that ends), and only then does a snapshot reach the camera.
    tokio::time::sleep(Duration::from_millis(5200).saturating_sub(cached.elapsed())).await;
    let (s, h, jpeg) = snapshot(&d, "h264").await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&jpeg));
    assert_eq!(h["x-snapshot-source"], "keyframe");
    assert_eq!(&jpeg[..2], &[0xff, 0xd8]);
}
