//! ONVIF against an independent device: the third-party ipycam simulator (PyPI), run with
//! our daemon inside a network namespace this test creates (only `lo`, with a multicast
//! route), so WS-Discovery multicast never leaves it. The test re-runs itself inside the
//! namespace (`ip netns exec`), where everything is 127.0.0.1: discovery by multicast and by
//! unicast, device detail and profiles, the stream URI recorded and decoded, the snapshot
//! URI, and PTZ move, stop and go-to-preset. Needs root (CAP_NET_ADMIN).

mod common;

use common::onvifmock::VENV_PYTHON;
use common::recordings::{recordings, verify_all, wait_recording_run, wait_status};
use common::{Daemon, camera_toml, json};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const INSIDE: &str = "MIBEE_ONVIF_NETNS";
const TEST: &str = "ipycam_in_a_private_network_namespace";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ipycam_in_a_private_network_namespace() {
    if std::env::var_os(INSIDE).is_some() {
        return tokio::runtime::Runtime::new().unwrap().block_on(inside());
    }
    let ns = format!("mibee-onvif-{}", std::process::id());
    let netns = |op: &str| {
        let ok = Command::new("sh")
            .arg(fixture("netns.sh"))
            .args([op, &ns])
            .status()
            .unwrap();
        assert!(ok.success(), "netns.sh {op} {ns}");
    };
    netns("lo");
    let status = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
        .env(INSIDE, "1")
        .status()
        .unwrap();
    netns("down");
    assert!(
        status.success(),
        "the test inside the namespace failed: {status}"
    );
}

struct Ipycam(Child, Value);

impl Drop for Ipycam {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_ipycam() -> Ipycam {
    let mut child = Command::new(VENV_PYTHON)
        .arg(fixture("ipycam_sim.py"))
        .args(["--onvif-port", "8080", "--rtsp-port", "8554"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ipycam_sim.py (make setup installs venv-onvif)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("READY ") => break l,
            Some(Ok(_)) => continue,
            _ => panic!("ipycam_sim.py exited before READY"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ipycam(
        child,
        serde_json::from_str(&ready["READY ".len()..]).unwrap(),
    )
}

fn has_device(v: &Value, url: &str) -> bool {
    v["devices"]
        .as_array()
        .is_some_and(|d| d.iter().any(|d| d["url"] == url && d["xaddrs"][0] == url))
}

async fn inside() {
    let cam = start_ipycam();
    let url = cam.1["device_service"].as_str().unwrap().to_string();
    assert_eq!(url, "http://127.0.0.1:8080/onvif/device_service");
    let cfg = camera_toml("ipycam", "onvif", "h264", &url, "");
    let d = Daemon::start_with_config(Some(&cfg)).await;

    // Discovery: multicast alone, then unicast alone.
    let (s, v) = json(d.post("/api/onvif/discover").json(&json!({"timeout": 3}))).await;
    assert_eq!(s, 200, "{v}");
    assert!(has_device(&v, &url), "multicast: {v}");
    let found = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["url"] == url.as_str())
        .unwrap();
    assert!(!found["uuid"].as_str().unwrap().is_empty(), "{found}");
    assert_eq!(found["endpoint"], url.as_str());
    assert_eq!(
        found["manufacturer"], "PythonCam",
        "enriched by GetDeviceInformation: {found}"
    );
    let unicast = json!({"timeout": 2, "target": "127.0.0.1/32", "multicast": false});
    let (s, v) = json(d.post("/api/onvif/discover").json(&unicast)).await;
    assert_eq!(s, 200, "{v}");
    assert!(has_device(&v, &url), "unicast: {v}");

    // Device detail and profiles.
    let (s, v) = json(d.get("/api/onvif/discover/127.0.0.1:8080")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["device_info"]["manufacturer"], "PythonCam");
    assert_eq!(v["device_info"]["model"], "VirtualCam-1");
    assert_eq!(v["device"]["firmware_version"], "1.3.0");
    assert_eq!(v["device"]["url"], url.as_str());
    let tokens: Vec<&str> = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens, ["Profile_Main", "Profile_Sub"], "{v}");
    let (s, p) = json(d.get("/api/cameras/ipycam/onvif/profiles")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["profiles"][0]["encoding"], "H264", "{p}");
    assert_eq!(p["capabilities"]["ptz"], true);
    assert_eq!(p["capabilities"]["imaging"], false);

    // The stream URI records and the recording decodes.
    wait_status(&d, "ipycam", "recording", Duration::from_secs(30)).await;
    wait_recording_run(&d, "ipycam", 5.0, Duration::from_secs(30)).await;
    json(d.post("/api/cameras/ipycam/stop")).await;
    common::wait_for("a recording", Duration::from_secs(10), async || {
        !recordings(&d, "ipycam").await.is_empty()
    })
    .await;
    let (total_s, _) = verify_all(&d, "ipycam", 10.0, false).await;
    assert!(total_s >= 2.0, "recorded {total_s} s");

    // Snapshot URI, and the snapshot fetched from it.
    let (s, u) = json(d.get("/api/cameras/ipycam/snapshot/uri")).await;
    assert_eq!(
        (s, &u["uri"]),
        (200, &json!("http://127.0.0.1:8080/snapshot.jpg")),
        "{u}"
    );
    let resp = d.get("/api/cameras/ipycam/snapshot").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-snapshot-source"], "snapshot_url");
    let jpeg = resp.bytes().await.unwrap();
    common::media::assert_decodes_as("ipycam snapshot", "snap.jpg", &jpeg);

    // PTZ: continuous move, stop, absolute move, go to the home preset.
    let mv = |b: Value| d.post("/api/cameras/ipycam/ptz/move").json(&b);
    let (s, r) = json(mv(json!({"x": 0.5, "y": 0.0, "zoom": 0.0}))).await;
    assert_eq!((s, &r["status"]), (200, &json!("moving")), "{r}");
    let (s, r) = json(d.post("/api/cameras/ipycam/ptz/stop")).await;
    assert_eq!((s, &r["status"]), (200, &json!("stopped")), "{r}");
    let (s, r) = json(mv(
        json!({"mode": "absolute", "pan": 0.2, "tilt": 0.1, "zoom": 0.0}),
    ))
    .await;
    assert_eq!((s, &r["status"]), (200, &json!("moving")), "{r}");
    // ipycam reports its position (its move-status fields are unfilled placeholders).
    let at = async |pan: f64, tilt: f64| {
        let (_, st) = json(d.get("/api/cameras/ipycam/ptz/status")).await;
        let near = |v: &Value, want: f64| v.as_f64().is_some_and(|v| (v - want).abs() < 0.02);
        near(&st["pan"], pan) && near(&st["tilt"], tilt) && near(&st["x"], pan)
    };
    common::wait_for(
        "ipycam at pan 0.2 tilt 0.1",
        Duration::from_secs(10),
        async || at(0.2, 0.1).await,
    )
    .await;
    let (s, r) = json(d.post("/api/cameras/ipycam/ptz/presets/home/goto")).await;
    assert_eq!((s, &r["status"]), (200, &json!("ok")), "{r}");
    common::wait_for("ipycam back home", Duration::from_secs(10), async || {
        at(0.0, 0.0).await
    })
    .await;
}
