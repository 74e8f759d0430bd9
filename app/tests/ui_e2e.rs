//! The web UI end to end: the daemon serves the built app (app/ui/dist) at `/`, and headless
//! Chromium (tests/browser/ui_e2e.cjs, playwright-core) drives it against the real daemon
//! and a fake camera: log in, add a camera, its live tile plays, a settings change survives
//! a reload, a failing call shows its error, both languages render. Screenshots of every
//! page go to $CARGO_TARGET_DIR/ui-screenshots. Also: static files, the app's own routes,
//! path traversal, and the JavaScript budget (≤ 300 KB gzipped without hls.js).

mod common;

use common::fakecam::FakeCam;
use common::{Daemon, cli};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const PASSWORD: &str = "ui-e2e-password";

fn dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/dist")
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap().len()
}

#[test]
fn the_javascript_budget_is_kept() {
    let assets = dist().join("assets");
    let mut total = 0;
    for e in std::fs::read_dir(&assets).expect("app/ui/dist (make ui)") {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".js") && !name.to_ascii_lowercase().starts_with("hls") {
            total += gzip_len(&std::fs::read(&p).unwrap());
        }
    }
    println!(
        "JavaScript shipped without hls.js: {} KB gzipped",
        total / 1024
    );
    assert!(total > 0 && total <= 300 * 1024, "{total} bytes gzipped");
}

#[tokio::test]
async fn the_ui_is_served_and_works_in_chromium() {
    let fc = FakeCam::start(&["codec=h264,gop=10"], &[]);
    let mut d = Daemon::start().await;
    // A password, so the app's login is exercised.
    let (ok, hash, err) = cli(&d.config_path(), &["hash-password", PASSWORD]);
    assert!(ok, "{err}");
    let cfg = format!("[auth]\npassword_hash = '{}'\n", hash.trim());
    std::fs::write(d.config_path(), cfg).unwrap();
    d.restart().await;

    // Static files, the app's routes, and what is not the app.
    let index = d.client.get(d.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = index.text().await.unwrap();
    let route = d.client.get(d.url("/cameras")).send().await.unwrap();
    assert_eq!(route.status(), 200, "an app route gets index.html");
    assert_eq!(route.text().await.unwrap(), html);
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("index.html loads a script");
    let js = d.client.get(d.url(script)).send().await.unwrap();
    assert_eq!(js.status(), 200, "{script}");
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    for missing in [
        "/assets/nope.js",
        "/api/nope",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
    ] {
        let r = d.client.get(d.url(missing)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{missing}");
    }
    let api = d.client.get(d.url("/api/cameras")).send().await.unwrap();
    assert_eq!(api.status(), 401, "the API still wants the password");

    let shots = PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "/tmp".into()))
        .join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let harness = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/ui_e2e.cjs");
    let out = Command::new("node")
        .arg(harness)
        .args(["--base", &d.base, "--rtsp", &fc.url(0)])
        .args(["--user", "admin", "--password", PASSWORD])
        .arg("--shots")
        .arg(&shots)
        .output()
        .expect("node (make setup)");
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    println!("ui_e2e: {report}");
    assert!(
        out.status.success(),
        "ui_e2e.cjs failed: {report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pngs = std::fs::read_dir(&shots)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert!(pngs >= 4, "screenshots of every page: {pngs}");
}
