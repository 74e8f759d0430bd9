//! ONVIF failures: a camera that is not ONVIF, a device that cannot be reached or refuses
//! the credentials, a device without PTZ, imaging or reboot, bad discovery input, and hostile
//! replies (truncated, 64 MiB, wrong namespaces, entity expansion, garbage, HTML, silence)
//! from the mock camera: each is a clear error within the timeout, the daemon's memory stays
//! bounded, and the device works again once it answers properly.

mod common;

use common::httpcam::HttpCam;
use common::onvifmock::OnvifMock;
use common::recordings::{cam, wait_status};
use common::{Daemon, camera_toml, expect_error, json};
use serde_json::json;
use std::time::{Duration, Instant};

/// The transport's per-request timeout (6 s) plus slack.
const WITHIN: Duration = Duration::from_secs(9);

fn onvif_cam(id: &str, url: &str, extra: &str) -> String {
    camera_toml(
        id,
        "onvif",
        "h264",
        url,
        &format!("enabled = false\n{extra}"),
    )
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn not_onvif_unreachable_and_refused() {
    let web = HttpCam::start(1, 5.0);
    let mock = OnvifMock::start(&["--user", "admin", "--password", "right"]);
    let gone = format!("http://127.0.0.1:{}/onvif/device_service", closed_port());
    let cfg = [
        camera_toml(
            "plain",
            "rtsp",
            "h264",
            "rtsp://127.0.0.1:9/x",
            "enabled = false",
        ),
        onvif_cam("web", &web.url("/onvif/device_service"), ""),
        onvif_cam("gone", &gone, ""),
        onvif_cam(
            "badpw",
            &mock.device_url(),
            "username = \"admin\"\npassword = \"wrong\"",
        ),
        camera_toml(
            "badrec",
            "onvif",
            "h264",
            &mock.device_url(),
            "username = \"admin\"\npassword = \"wrong\"",
        ),
    ]
    .concat();
    let d = Daemon::start_with_config(Some(&cfg)).await;

    let v = expect_error(
        d.get("/api/cameras/plain/onvif/profiles"),
        400,
        "ONVIF_NOT_CAMERA",
    )
    .await;
    assert!(v["error"].as_str().unwrap().contains("rtsp"), "{v}");
    expect_error(
        d.get("/api/cameras/web/onvif/profiles"),
        400,
        "ONVIF_NOT_CAMERA",
    )
    .await;
    expect_error(d.post("/api/cameras/web/ptz/stop"), 400, "ONVIF_NOT_CAMERA").await;
    let t = Instant::now();
    expect_error(
        d.get("/api/cameras/gone/onvif/capabilities"),
        500,
        "ONVIF_CONNECTION_FAILED",
    )
    .await;
    assert!(t.elapsed() < WITHIN, "{:?}", t.elapsed());
    let v = expect_error(
        d.get("/api/cameras/badpw/ptz/status"),
        500,
        "ONVIF_CONNECTION_FAILED",
    )
    .await;
    assert!(v["error"].as_str().unwrap().contains("credentials"), "{v}");
    expect_error(
        d.get("/api/cameras/nosuch/onvif/profiles"),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;
    // Recording a camera whose credentials the device refuses: a persistent error, with why.
    wait_status(&d, "badrec", "error", Duration::from_secs(15)).await;
    let reason = cam(&d, "badrec").await["status_reason"].clone();
    assert!(
        reason.as_str().unwrap().contains("username and password"),
        "{reason}"
    );

    // Device detail by address.
    let web_addr = format!("/api/onvif/discover/127.0.0.1:{}", web.port);
    expect_error(d.get(&web_addr), 400, "ONVIF_NOT_CAMERA").await;
    expect_error(d.get("/api/onvif/discover/not-an-ip"), 400, "INVALID_INPUT").await;
    let (s, detail) = json(d.get(&format!("/api/onvif/discover/127.0.0.1:{}", mock.port))).await;
    // The camera configured at that address lends its (wrong) credentials.
    assert_eq!(
        (s, detail["code"].as_str()),
        (500, Some("ONVIF_CONNECTION_FAILED")),
        "{detail}"
    );

    // Discovery input.
    for bad in [
        json!({"timeout": 31}),
        json!({"timeout": 0}),
        json!({"target": "10.0.0.0/21"}),
        json!({"target": "not a cidr"}),
        json!({"target": "192.0.2.0/24"}), // loopback-only test mode: no traffic off the box
        json!({"tiemout": 1}),
    ] {
        expect_error(
            d.post("/api/onvif/discover").json(&bad),
            400,
            "INVALID_INPUT",
        )
        .await;
    }
}

#[tokio::test]
async fn a_device_without_ptz_imaging_or_reboot() {
    let mock = OnvifMock::start(&["--no-ptz", "--no-imaging", "--no-reboot"]);
    let d = Daemon::start_with_config(Some(&onvif_cam("fixed", &mock.device_url(), ""))).await;
    let (s, c) = json(d.get("/api/cameras/fixed/onvif/capabilities")).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["ptz"].as_bool(), c["imaging"].as_bool()),
        (Some(false), Some(false)),
        "{c}"
    );
    let move_body = json!({"mode": "continuous", "pan": 0.5});
    for req in [
        d.post("/api/cameras/fixed/ptz/move").json(&move_body),
        d.post("/api/cameras/fixed/ptz/stop"),
        d.get("/api/cameras/fixed/ptz/status"),
        d.get("/api/cameras/fixed/ptz/presets"),
        d.post("/api/cameras/fixed/ptz/presets")
            .json(&json!({"name": "x"})),
        d.get("/api/cameras/fixed/imaging/settings"),
        d.get("/api/cameras/fixed/imaging/options"),
        d.put("/api/cameras/fixed/imaging/settings")
            .json(&json!({"brightness": 1})),
        d.post("/api/cameras/fixed/onvif/reboot"),
    ] {
        let v = expect_error(req, 501, "NOT_IMPLEMENTED").await;
        assert!(v["error"].as_str().unwrap().contains("camera"), "{v}");
    }
    assert_eq!(mock.state().await["reboots"], 0);
}

#[tokio::test]
async fn http_digest_devices_are_answered() {
    let mock = OnvifMock::start(&["--http-digest", "--user", "admin", "--password", "pw"]);
    let extra = "username = \"admin\"\npassword = \"pw\"";
    let d = Daemon::start_with_config(Some(&onvif_cam("dg", &mock.device_url(), extra))).await;
    let (s, p) = json(d.get("/api/cameras/dg/onvif/profiles")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["profiles"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn hostile_replies_are_errors_and_memory_stays_bounded() {
    let mock = OnvifMock::start(&[]);
    let modes = [
        "truncated",
        "huge",
        "wrongns",
        "entitybomb",
        "garbage",
        "html",
        "slow",
        "notsoap",
    ];
    let mut cfg = onvif_cam("known", &mock.device_url(), "");
    for m in modes {
        cfg += &onvif_cam(&format!("new-{m}"), &mock.device_url(), "");
    }
    let d = Daemon::start_with_config(Some(&cfg)).await;
    let (s, _) = json(d.get("/api/cameras/known/onvif/profiles")).await;
    assert_eq!(s, 200);
    for m in modes {
        mock.mode(m).await;
        // An operation on a device already connected, then a first contact.
        for (cam, codes) in [
            (
                "known",
                &["CAMERA_UNREACHABLE", "ONVIF_CONNECTION_FAILED"][..],
            ),
            (
                &*format!("new-{m}"),
                &["ONVIF_NOT_CAMERA", "ONVIF_CONNECTION_FAILED"][..],
            ),
        ] {
            let t = Instant::now();
            let (s, v) = json(d.get(&format!("/api/cameras/{cam}/onvif/profiles"))).await;
            let code = v["code"].as_str().unwrap_or("");
            assert!(codes.contains(&code) && s >= 400, "{m} {cam}: {s} {v}");
            assert!(t.elapsed() < WITHIN, "{m} {cam}: {:?}", t.elapsed());
            let slow = code == "ONVIF_CONNECTION_FAILED";
            assert_eq!(slow, m == "slow", "{m} {cam}: {v}");
        }
        mock.mode("normal").await;
        let (s, v) = json(d.get("/api/cameras/known/onvif/profiles")).await;
        assert_eq!(s, 200, "after {m}: {v}");
    }
    // A 64 MiB reply was refused at 1 MiB: the daemon never held it.
    let hwm_kib = d.proc_status_kib("VmHWM");
    eprintln!(
        "daemon VmHWM after the hostile replies: {} MiB",
        hwm_kib / 1024
    );
    assert!(hwm_kib < 48 * 1024, "VmHWM {hwm_kib} KiB");
    let (s, _) = json(d.get("/api/health")).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn test_connection_resolves_an_onvif_device_and_uses_a_stored_password() {
    let fc = common::fakecam::FakeCam::start(&["codec=h264,gop=10"], &[]);
    let mock = OnvifMock::start(&[
        "--user",
        "admin",
        "--password",
        "right",
        "--rtsp-uri",
        &fc.url(0),
    ]);
    let d = Daemon::start().await;
    let body = json!({"protocol": "onvif", "url": mock.device_url(), "username": "admin", "password": "right"});
    let (s, r) = json(d.post("/api/cameras/test-connection").json(&body)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["success"], true, "{r}");
    assert!(r["details"]["frames_received"].as_u64().unwrap() > 0, "{r}");
    assert!(
        r["details"]["stream_url"]
            .as_str()
            .unwrap()
            .starts_with("rtsp://127.0.0.1"),
        "{r}"
    );
    let (_, r) = json(d.post("/api/cameras/test-connection").json(&json!({"protocol": "onvif", "url": mock.device_url(), "username": "admin", "password": "wrong"}))).await;
    assert_eq!(r["success"], false, "{r}");

    // Testing an edit of a saved camera: its stored password is used when none is typed.
    let cam = json!({"name": "Door", "protocol": "onvif", "url": mock.device_url(), "username": "admin", "password": "right", "enabled": false});
    assert_eq!(json(d.post("/api/cameras").json(&cam)).await.0, 201);
    let edit = json!({"protocol": "onvif", "url": mock.device_url(), "username": "admin", "camera_id": "door"});
    let (_, r) = json(d.post("/api/cameras/test-connection").json(&edit)).await;
    assert_eq!(r["success"], true, "{r}");
    expect_error(
        d.post("/api/cameras/test-connection")
            .json(&json!({"url": fc.url(0), "camera_id": "nope"})),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;
    // Another scheme for an RTSP camera cannot be tested.
    expect_error(
        d.post("/api/cameras/test-connection")
            .json(&json!({"protocol": "rtsp", "url": "ftp://127.0.0.1:9/x"})),
        400,
        "INVALID_INPUT",
    )
    .await;
}
