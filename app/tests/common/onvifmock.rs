//! Starts the repository's mock ONVIF camera (tests/fixtures/onvifmock.py) on an ephemeral
//! 127.0.0.1 port, reads its state, switches its hostile reply modes, and validates every
//! logged exchange against the official ONVIF WSDL/XSD (tests/fixtures/onvif_validate.py).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const VENV_PYTHON: &str = "/var/cache/mibee-nvr/venv-onvif/bin/python";

pub struct OnvifMock {
    child: Child,
    pub port: u16,
    pub log_dir: tempfile::TempDir,
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

impl OnvifMock {
    /// `extra`: more arguments (`--user u --password p`, `--no-ptz`, `--rtsp-uri URL`, ...).
    pub fn start(extra: &[&str]) -> OnvifMock {
        let log_dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("/usr/bin/python3")
            .arg(fixture("onvifmock.py"))
            .args(["--port", "0", "--strict-order", "--log-dir"])
            .arg(log_dir.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start onvifmock.py");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("READY port=") => {
                    break l["READY port=".len()..].trim().parse().unwrap();
                }
                Some(Ok(_)) => continue,
                _ => panic!("onvifmock.py exited before READY"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        OnvifMock {
            child,
            port,
            log_dir,
        }
    }

    pub fn device_url(&self) -> String {
        format!("http://127.0.0.1:{}/onvif/device_service", self.port)
    }

    pub async fn state(&self) -> Value {
        reqwest::get(format!("http://127.0.0.1:{}/control/state", self.port))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn mode(&self, mode: &str) {
        let r = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:{}/control/mode/{mode}",
                self.port
            ))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "mode {mode}: {}", r.status());
    }

    /// Every request our client sent and every reply the mock gave, checked by zeep in strict
    /// mode against the official WSDL/XSD. Returns the validator's summary.
    pub fn validate_log(&self) -> String {
        let out = Command::new(VENV_PYTHON)
            .arg(fixture("onvif_validate.py"))
            .arg(self.log_dir.path())
            .output()
            .expect("run onvif_validate.py (make setup installs venv-onvif)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "ONVIF exchanges not schema-valid:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }
}

impl Drop for OnvifMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
