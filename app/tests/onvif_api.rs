//! ONVIF endpoints against the repository's mock camera (tests/fixtures/onvifmock.py): a
//! device with WS-Security, a clock an hour off ours, PTZ, imaging and network, whose state
//! shows that each Set really reached it. Every exchange is validated against the official
//! ONVIF WSDL/XSD at the end. An ONVIF camera given by its device address records the
//! profile's RTSP stream (a fakecam).

mod common;

use common::fakecam::FakeCam;
use common::onvifmock::OnvifMock;
use common::recordings::{recordings, verify_all, wait_recording_run, wait_status};
use common::{Daemon, camera_toml, expect_error, json};
use serde_json::{Value, json};
use std::time::Duration;

const USER: &str = "admin";
const PASS: &str = "s3cret";

async fn daemon_with(mock: &OnvifMock, id: &str, extra: &str) -> Daemon {
    let cam = camera_toml(
        id,
        "onvif",
        "h264",
        &mock.device_url(),
        &format!("username = \"{USER}\"\npassword = \"{PASS}\"\n{extra}"),
    );
    Daemon::start_with_config(Some(&cam)).await
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-3)
}

#[tokio::test]
async fn an_onvif_camera_records_and_is_controlled() {
    let fc = FakeCam::start(&["codec=h264,gop=10"], &[]);
    let mock = OnvifMock::start(&[
        "--user",
        USER,
        "--password",
        PASS,
        "--clock-offset-s",
        "3600",
        "--rtsp-uri",
        &fc.url(0),
    ]);
    let d = daemon_with(&mock, "door", "").await;

    // Profiles and capabilities.
    let (s, p) = json(d.get("/api/cameras/door/onvif/profiles")).await;
    assert_eq!(s, 200, "{p}");
    let profiles = p["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2, "{p}");
    assert_eq!(profiles[0]["token"], "main");
    assert_eq!(profiles[0]["encoding"], "H264");
    assert_eq!(
        (
            profiles[0]["width"].as_u64(),
            profiles[0]["height"].as_u64()
        ),
        (Some(1920), Some(1080))
    );
    assert_eq!(profiles[0]["video_encoder"], "H264");
    assert_eq!(profiles[0]["audio_encoder"], "G711");
    assert_eq!(profiles[1]["width"], 640);
    let caps = json!({"ptz": true, "imaging": true, "events": false, "snapshot": true, "streaming": true, "device": true});
    assert_eq!(p["capabilities"], caps);
    let (s, c) = json(d.get("/api/cameras/door/onvif/capabilities")).await;
    assert_eq!((s, &c), (200, &caps));

    // The stream URI records, and the recording decodes.
    wait_status(&d, "door", "recording", Duration::from_secs(20)).await;
    wait_recording_run(&d, "door", 4.0, Duration::from_secs(20)).await;
    let (_, s) = json(d.post("/api/cameras/door/stop")).await;
    assert_eq!(s["status"], "stopped", "{s}");
    common::wait_for("a recording", Duration::from_secs(10), async || {
        !recordings(&d, "door").await.is_empty()
    })
    .await;
    verify_all(&d, "door", 15.0, false).await;

    // Snapshot URI, and the snapshot the daemon fetches from it.
    let (s, u) = json(d.get("/api/cameras/door/snapshot/uri")).await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(
        u["uri"],
        format!("http://127.0.0.1:{}/snapshot.jpg", mock.port)
    );
    let resp = d.get("/api/cameras/door/snapshot").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-snapshot-source"], "snapshot_url");
    let jpeg = resp.bytes().await.unwrap();
    assert_eq!(&jpeg[..2], &[0xff, 0xd8]);

    // PTZ: absolute, relative, continuous (both shapes), stop, status.
    let mv = |b: Value| d.post("/api/cameras/door/ptz/move").json(&b);
    let (s, r) = json(mv(
        json!({"mode":"absolute","pan":0.5,"tilt":-0.25,"zoom":0.5}),
    ))
    .await;
    assert_eq!((s, &r["status"]), (200, &json!("moving")), "{r}");
    let st = mock.state().await;
    assert!(close(&st["ptz"]["position"]["pan"], 0.5), "{st}");
    let (_, r) = json(mv(
        json!({"mode":"relative","pan":-0.25,"tilt":0.0,"zoom":0.0}),
    ))
    .await;
    assert_eq!(r["status"], "moving");
    let (s, status) = json(d.get("/api/cameras/door/ptz/status")).await;
    assert_eq!(s, 200, "{status}");
    assert!(
        close(&status["pan"], 0.25) && close(&status["x"], 0.25),
        "{status}"
    );
    assert!(
        close(&status["tilt"], -0.25) && close(&status["y"], -0.25),
        "{status}"
    );
    assert_eq!(status["moving"], false);
    let (_, r) = json(mv(json!({"x":0.5,"y":0.0,"zoom":0.0,"speed":0.5}))).await;
    assert_eq!(r["status"], "moving");
    let (_, status) = json(d.get("/api/cameras/door/ptz/status")).await;
    assert_eq!(status["moving"], true, "{status}");
    let (_, r) = json(d.post("/api/cameras/door/ptz/stop")).await;
    assert_eq!(r["status"], "stopped");
    let (_, status) = json(d.get("/api/cameras/door/ptz/status")).await;
    assert_eq!(status["moving"], false, "{status}");

    // Out of range: refused before anything is sent, the camera does not move.
    let before = mock.state().await["ptz"]["position"].clone();
    for bad in [
        json!({"mode":"absolute","pan":1.5,"tilt":0,"zoom":0}),
        json!({"mode":"continuous","pan":0,"tilt":-2}),
        json!({"mode":"absolute","pan":0,"tilt":0,"zoom":0,"speed":3}),
        json!({"mode":"warp","pan":0}),
    ] {
        expect_error(mv(bad), 400, "INVALID_INPUT").await;
    }
    assert_eq!(mock.state().await["ptz"]["position"], before);

    // Presets: create, list, goto, delete.
    let (s, created) = json(
        d.post("/api/cameras/door/ptz/presets")
            .json(&json!({"name":"Gate"})),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let (_, list) = json(d.get("/api/cameras/door/ptz/presets")).await;
    let gate = list["presets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["token"] == token.as_str())
        .cloned();
    let gate = gate.unwrap_or_else(|| panic!("{list}"));
    assert_eq!(gate["name"], "Gate");
    json(mv(
        json!({"mode":"absolute","pan":-0.75,"tilt":0.5,"zoom":0.0}),
    ))
    .await;
    let (s, r) = json(d.post(&format!("/api/cameras/door/ptz/presets/{token}/goto"))).await;
    assert_eq!((s, &r["status"]), (200, &json!("ok")), "{r}");
    let (_, status) = json(d.get("/api/cameras/door/ptz/status")).await;
    assert!(
        close(&status["pan"], gate["position"]["pan"].as_f64().unwrap()),
        "{status} {gate}"
    );
    let (s, _) = json(d.delete(&format!("/api/cameras/door/ptz/presets/{token}"))).await;
    assert_eq!(s, 200);
    let (_, list) = json(d.get("/api/cameras/door/ptz/presets")).await;
    assert!(
        list["presets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["token"] != token.as_str()),
        "{list}"
    );
    expect_error(
        d.post("/api/cameras/door/ptz/presets")
            .json(&json!({"name":""})),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(
        d.post("/api/cameras/door/ptz/presets/nosuch/goto"),
        400,
        "INVALID_INPUT",
    )
    .await;

    // Imaging: options, get, set (merged), out of range refused and nothing changed.
    let (s, o) = json(d.get("/api/cameras/door/imaging/options")).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["brightness"], json!({"min": 0.0, "max": 100.0}));
    assert_eq!(o["exposure"]["modes"], json!(["auto", "manual"]));
    let (s, r) = json(d.put("/api/cameras/door/imaging/settings").json(&json!({
        "brightness": 60, "contrast": 70,
        "exposure": {"mode": "manual", "exposure_time": 200, "gain": 10}
    })))
    .await;
    assert_eq!((s, &r["status"]), (200, &json!("ok")), "{r}");
    let (_, g) = json(d.get("/api/cameras/door/imaging/settings")).await;
    assert_eq!(
        (g["brightness"].as_f64(), g["contrast"].as_f64()),
        (Some(60.0), Some(70.0)),
        "{g}"
    );
    assert_eq!(g["exposure"]["mode"], "manual");
    assert_eq!(g["exposure"]["exposure_time"].as_f64(), Some(200.0));
    // The reference's units: kelvin becomes manual white balance with gains on the
    // camera's 0-255 scale (neutral in the middle), warm light less red and more blue.
    let wb = &o["white_balance"];
    assert_eq!(wb["cr_gain"], json!({"min": 0.0, "max": 255.0}), "{o}");
    assert_eq!(
        wb["color_temperature"],
        json!({"min": 2000.0, "max": 10000.0})
    );
    let (s, r) = json(d.put("/api/cameras/door/imaging/settings").json(&json!({
        "brightness": 0.6, "white_balance": {"mode": "manual", "color_temperature": 4500}
    })))
    .await;
    assert_eq!((s, &r["status"]), (200, &json!("ok")), "{r}");
    let img = mock.state().await["imaging"].clone();
    assert_eq!(img["WhiteBalanceMode"], "MANUAL", "{img}");
    assert_eq!(img["Brightness"].as_f64(), Some(60.0), "{img}");
    let (cr, cb) = (
        img["CrGain"].as_f64().unwrap(),
        img["CbGain"].as_f64().unwrap(),
    );
    assert!(cr < 127.5 && cb > 127.5 && cb <= 255.0, "{img}");
    let before = mock.state().await["imaging"].clone();
    for bad in [
        json!({"brightness": 101}),
        json!({"exposure": {"mode": "shutter"}}),
        json!({"white_balance": {"mode": "manual", "color_temperature": 1500}}),
        json!({"hue": 1}),
    ] {
        expect_error(
            d.put("/api/cameras/door/imaging/settings").json(&bad),
            400,
            "INVALID_INPUT",
        )
        .await;
    }
    assert_eq!(mock.state().await["imaging"], before);

    // Network: get, set, bad input refused.
    let (s, n) = json(d.get("/api/cameras/door/onvif/network")).await;
    assert_eq!(s, 200, "{n}");
    let eth0 = &n["interfaces"][0];
    assert_eq!(eth0["name"], "eth0");
    assert_eq!(eth0["ipv4"]["address"], "192.0.2.10");
    assert_eq!(eth0["ipv4"]["netmask"], "255.255.255.0");
    let set = json!({"interfaces":[{"name":"eth0","enabled":true,"ipv4":{"enabled":true,"dhcp":false,
        "address":"192.0.2.20","netmask":"255.255.254.0","gateway":"192.0.2.1"},"dns":["192.0.2.53"]}]});
    let (s, r) = json(d.put("/api/cameras/door/onvif/network").json(&set)).await;
    assert_eq!((s, &r["status"]), (200, &json!("ok")), "{r}");
    let (_, n) = json(d.get("/api/cameras/door/onvif/network")).await;
    assert_eq!(n["interfaces"][0]["ipv4"]["address"], "192.0.2.20", "{n}");
    assert_eq!(n["interfaces"][0]["ipv4"]["netmask"], "255.255.254.0");
    assert_eq!(n["interfaces"][0]["ipv4"]["gateway"], "192.0.2.1");
    assert_eq!(n["interfaces"][0]["dns"], json!(["192.0.2.53"]));
    let bad = json!({"interfaces":[{"name":"eth0","ipv4":{"dhcp":false,"address":"192.0.2.30","netmask":"255.0.255.0"}}]});
    expect_error(
        d.put("/api/cameras/door/onvif/network").json(&bad),
        400,
        "INVALID_INPUT",
    )
    .await;
    let (_, n) = json(d.get("/api/cameras/door/onvif/network")).await;
    assert_eq!(n["interfaces"][0]["ipv4"]["address"], "192.0.2.20");

    // Reboot.
    let (s, r) = json(d.post("/api/cameras/door/onvif/reboot")).await;
    assert_eq!((s, &r["status"]), (200, &json!("ok")), "{r}");
    assert_eq!(mock.state().await["reboots"], 1);

    // Every request we sent and every reply validates against the official WSDL/XSD.
    let summary = mock.validate_log();
    eprintln!("{summary}");
}
