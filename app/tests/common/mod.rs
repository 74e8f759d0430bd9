//! Test harness: starts the real `mibee-nvr` binary as a child process on an ephemeral
//! 127.0.0.1 port with its own data dir, and talks to it with a real HTTP client.
#![allow(dead_code)]

pub mod fakecam;
pub mod httpcam;
pub mod media;
pub mod onvifmock;
pub mod recordings;
pub mod reference;
pub mod xiaomicloud;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mibee-nvr");

pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub base: String,
    child: Option<Child>,
    pub client: reqwest::Client,
    /// The config file (its directory is the data dir); in `dir` unless placed elsewhere.
    config: PathBuf,
    /// More `serve` arguments and environment for every start.
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// How to start a daemon beyond the defaults.
#[derive(Default)]
pub struct Opts<'a> {
    /// The config file's text (None: the daemon writes the defaults).
    pub toml: Option<&'a str>,
    /// Where the config file lives (its directory is the data dir).
    pub config_path: Option<PathBuf>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Daemon {
    /// Starts a daemon on a fresh data dir (config created with defaults).
    pub async fn start() -> Self {
        Self::start_with_config(None).await
    }

    /// Starts a daemon whose config file holds `toml` (None: created by the daemon).
    pub async fn start_with_config(toml: Option<&str>) -> Self {
        Self::start_opts(Opts {
            toml,
            ..Default::default()
        })
        .await
    }

    pub async fn start_opts(o: Opts<'_>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = o
            .config_path
            .unwrap_or_else(|| dir.path().join("mibee-nvr.toml"));
        if let Some(t) = o.toml {
            std::fs::write(&config, t).unwrap();
        }
        let mut d = Daemon {
            dir,
            base: String::new(),
            child: None,
            client: reqwest::Client::new(),
            config,
            args: o.args,
            env: o.env,
        };
        d.spawn().await;
        d
    }

    pub fn config_path(&self) -> PathBuf {
        self.config.clone()
    }

    pub fn config_text(&self) -> String {
        std::fs::read_to_string(self.config_path()).unwrap()
    }

    /// Starts the daemon process (again) on the same data dir.
    pub async fn spawn(&mut self) {
        let ready = self.dir.path().join("ready");
        let _ = std::fs::remove_file(&ready);
        let child = Command::new(BIN)
            .args(["--config"])
            .arg(self.config_path())
            .args(["serve", "--listen", "127.0.0.1:0", "--ready-file"])
            .arg(&ready)
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .env("MIBEE_LOOPBACK_CAMERAS_ONLY", "true")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn mibee-nvr");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(addr) = std::fs::read_to_string(&ready) {
                self.base = format!("http://{addr}");
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("mibee-nvr exited early: {status}");
            }
            assert!(Instant::now() < deadline, "daemon did not become ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the daemon with SIGTERM and returns its exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "daemon ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    pub async fn restart(&mut self) {
        let status = self.stop();
        assert!(status.success(), "clean exit on SIGTERM, got {status}");
        self.spawn().await;
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// A `/proc/PID/status` figure in KiB (`VmRSS`, `VmHWM`, ...).
    pub fn proc_status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc status"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }
    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.put(self.url(path))
    }
    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Sends a request and returns (status, JSON body).
pub async fn json(req: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
    (status, v)
}

/// Asserts an error response: status, code, and a non-empty message.
pub async fn expect_error(
    req: reqwest::RequestBuilder,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let (s, v) = json(req).await;
    assert_eq!(
        (s, v["code"].as_str().unwrap_or("")),
        (status, code),
        "body: {v}"
    );
    assert!(
        !v["error"].as_str().unwrap_or("").is_empty(),
        "error message present: {v}"
    );
    v
}

pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// Runs the binary with `--config CFG` and `args`; returns (success, stdout, stderr).
pub fn cli(cfg: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .output()
        .expect("run cli");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// Body of a successful GET as text.
pub async fn text(req: reqwest::RequestBuilder) -> String {
    let resp = req.send().await.expect("request");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.text().await.unwrap()
}

/// A camera object without its runtime fields (status, status_reason, last_seen,
/// recording_since), which change on their own while the pipeline runs.
pub fn config_part(cam: &serde_json::Value) -> serde_json::Value {
    let mut v = cam.clone();
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| {
            !matches!(
                k.as_str(),
                "status" | "status_reason" | "last_seen" | "recording_since"
            )
        });
    }
    v
}

/// A `[[cameras]]` TOML table; `extra` is more lines of the table (may be empty).
pub fn camera_toml(id: &str, protocol: &str, encoding: &str, url: &str, extra: &str) -> String {
    format!(
        "[[cameras]]\nid = \"{id}\"\nname = \"{id}\"\nprotocol = \"{protocol}\"\nencoding = \"{encoding}\"\nurl = \"{url}\"\n{extra}\n"
    )
}

/// Polls `f` every 100 ms until it holds; panics naming `what` after `timeout`.
pub async fn wait_for(what: &str, timeout: Duration, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Body of a successful GET as bytes.
pub async fn bytes(req: reqwest::RequestBuilder) -> Vec<u8> {
    let resp = req.send().await.expect("request");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.bytes().await.unwrap().to_vec()
}
