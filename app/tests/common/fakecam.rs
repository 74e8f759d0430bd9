//! Starts the repository's fake RTSP cameras (tests/fixtures/fakecam.py, GStreamer's
//! gst-rtsp-server) on ephemeral 127.0.0.1 ports and drives their control API.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct FakeCam {
    child: Child,
    pub control: String,
    pub cams: Vec<serde_json::Value>,
    /// The whole READY object (e.g. `garbage.url` with --garbage).
    pub ready: serde_json::Value,
}

impl FakeCam {
    /// `cams`: one `--cam` spec each (e.g. `codec=h264,profile=main,gop=15`); `extra`: more
    /// arguments (`--auth digest --user u --password p`).
    pub fn start(cams: &[&str], extra: &[&str]) -> FakeCam {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fakecam.py");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(script).args(["--base-port", "0"]);
        for c in cams {
            cmd.args(["--cam", c]);
        }
        cmd.args(extra).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd
            .spawn()
            .expect("start fakecam.py (needs python3-gi and gst-rtsp-server)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let ready = loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("READY ") => break l,
                Some(Ok(_)) => continue,
                _ => panic!("fakecam.py exited before READY"),
            }
        };
        // Keep draining stdout so the fixture never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let v: serde_json::Value = serde_json::from_str(&ready["READY ".len()..]).unwrap();
        FakeCam {
            child,
            control: v["control"].as_str().unwrap().to_string(),
            cams: v["cams"].as_array().unwrap().clone(),
            ready: v.clone(),
        }
    }

    /// The camera's RTSP URL without credentials.
    pub fn url(&self, i: usize) -> String {
        self.cams[i]["url_noauth"].as_str().unwrap().to_string()
    }

    /// `drop`, `down`, `up`, `stall`, `resume` or `resize-WxH`.
    pub async fn control(&self, i: usize, action: &str) {
        let resp = reqwest::Client::new()
            .post(format!("{}/cams/{i}/{action}", self.control))
            .send()
            .await
            .expect("fakecam control");
        assert!(
            resp.status().is_success(),
            "fakecam {action}: {}",
            resp.status()
        );
    }
}

impl Drop for FakeCam {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FakeCam {
    /// RTSP clients connected to camera `i` now.
    pub async fn clients(&self, i: usize) -> u64 {
        let v: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/cams", self.control))
            .send()
            .await
            .expect("fakecam state")
            .json()
            .await
            .expect("fakecam state json");
        v[i]["clients"].as_u64().expect("clients")
    }
}

/// RTSP Digest with qop=auth (tests/fixtures/rtspauth.py) in front of camera `i` of a
/// `FakeCam` started without auth: every request is checked in full before it goes upstream.
pub struct DigestQopProxy {
    child: Child,
    pub port: u16,
}

impl DigestQopProxy {
    pub fn start(cam: &FakeCam, i: usize, user: &str, password: &str) -> DigestQopProxy {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rtspauth.py");
        let upstream = format!("127.0.0.1:{}", cam.cams[i]["port"]);
        let mut child = Command::new("/usr/bin/python3")
            .args([script, &upstream, user, password])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rtspauth.py");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines
            .next()
            .and_then(|l| l.ok())
            .filter(|l| l.starts_with("READY "))
            .expect("rtspauth.py READY");
        std::thread::spawn(move || for _ in lines {});
        let v: serde_json::Value = serde_json::from_str(&ready["READY ".len()..]).unwrap();
        DigestQopProxy {
            child,
            port: v["port"].as_u64().unwrap() as u16,
        }
    }

    /// The camera's URL through the proxy (path of camera `i`), without credentials.
    pub fn url(&self, cam: &FakeCam, i: usize) -> String {
        format!(
            "rtsp://127.0.0.1:{}{}",
            self.port,
            cam.cams[i]["path"].as_str().unwrap()
        )
    }
}

impl Drop for DigestQopProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
