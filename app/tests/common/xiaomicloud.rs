//! The fake Xiaomi cloud (fixtures/xiaomi_cloud.py) as a child process: start it with flags,
//! read its READY line, steer it through its control endpoint, and run the independent
//! micloud client against it (fixtures/xiaomi_oracle.py) to prove it faithful.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const VENV_PYTHON: &str = "/var/cache/mibee-nvr/venv-xiaomi/bin/python";

pub struct XiaomiCloud {
    child: Child,
    pub base: String,
    pub user_id: String,
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

impl XiaomiCloud {
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new("/usr/bin/python3")
            .arg(fixture("xiaomi_cloud.py"))
            .args([
                "--port",
                "0",
                "--user",
                "u@example.com",
                "--password",
                "secret",
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 xiaomi_cloud.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(
            line.strip_prefix("READY ")
                .unwrap_or_else(|| panic!("no READY: {line}")),
        )
        .unwrap();
        Self {
            child,
            base: ready["base"].as_str().unwrap().to_string(),
            user_id: ready["user_id"].as_str().unwrap().to_string(),
        }
    }

    /// The daemon's `[xiaomi]` section pointing at this fake.
    pub fn config(&self, timeout: &str) -> String {
        format!(
            "[xiaomi]\naccount_url = \"{b}\"\napi_url = \"{b}/app\"\nregion = \"de\"\ntimeout = \"{timeout}\"\n",
            b = self.base
        )
    }

    pub async fn control(&self, body: serde_json::Value) -> serde_json::Value {
        let r = reqwest::Client::new()
            .post(format!("{}/__control", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "control {body}: {}", r.status());
        r.json().await.unwrap_or(serde_json::Value::Null)
    }

    pub async fn state(&self) -> serde_json::Value {
        reqwest::get(format!("{}/__control", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Runs the unmodified micloud (and python-miio) client against the fake.
    pub fn oracle(&self, password: &str, expect_denied: bool) -> serde_json::Value {
        let mut cmd = Command::new(VENV_PYTHON);
        cmd.arg(fixture("xiaomi_oracle.py")).args([
            "--base",
            &self.base,
            "--user",
            "u@example.com",
            "--password",
            password,
        ]);
        if expect_denied {
            cmd.arg("--expect-denied");
        }
        let out = cmd.output().expect("venv-xiaomi (make setup)");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "oracle failed: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(text.trim()).unwrap_or_else(|_| panic!("oracle output: {text}"))
    }
}

impl Drop for XiaomiCloud {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
