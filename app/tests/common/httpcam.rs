//! Starts the repository's HTTP camera (tests/fixtures/httpcam.py) on an ephemeral 127.0.0.1
//! port: single JPEGs behind Basic/Digest, slow and broken endpoints, and an MJPEG stream.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The credentials the camera asks for (Basic and Digest paths).
pub const USER: &str = "viewer";
pub const PASSWORD: &str = "s3cret";

pub struct HttpCam {
    child: Child,
    pub port: u16,
    /// The first image (what the single-JPEG paths serve).
    pub jpeg: Vec<u8>,
    _dir: tempfile::TempDir,
}

impl HttpCam {
    /// `jpegs` distinct 352x288 test images (the first served by the single-JPEG paths),
    /// cycled at `fps` on /mjpeg.
    pub fn start(jpegs: usize, fps: f64) -> HttpCam {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=352x288:rate=5",
            ])
            .args(["-frames:v", &jpegs.to_string(), "-y"])
            .arg(dir.path().join("cam%03d.jpg"))
            .status()
            .unwrap();
        assert!(ok.success());
        let paths: Vec<_> = (1..=jpegs)
            .map(|i| dir.path().join(format!("cam{i:03}.jpg")))
            .collect();
        let jpeg_path = paths[0].clone();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/httpcam.py");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(script);
        for p in &paths {
            cmd.arg("--jpeg").arg(p);
        }
        let mut child = cmd
            .args(["--fps", &fps.to_string()])
            .args(["--user", USER, "--password", PASSWORD])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("READY ").unwrap().parse().unwrap();
        HttpCam {
            child,
            port,
            jpeg: std::fs::read(&jpeg_path).unwrap(),
            _dir: dir,
        }
    }
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
    pub async fn served(&self, path: &str) -> u64 {
        let v: Value = reqwest::get(self.url("/stats"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v[path].as_u64().unwrap_or(0)
    }
    pub async fn post(&self, path: &str) {
        reqwest::Client::new()
            .post(self.url(path))
            .send()
            .await
            .unwrap();
    }
}

impl Drop for HttpCam {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
