//! Basic auth against the running daemon: bypass without a hash, 401 codes and headers,
//! argon2 and imported bcrypt hashes, rate limiting with 429, and password changes via PUT.

mod common;
use common::*;
use serde_json::json;

fn config_with_hash(hash: &str, max_failures: u32) -> String {
    format!(
        "[auth]\nusername = \"admin\"\npassword_hash = '{hash}'\n[auth.rate_limit]\nmax_failures = {max_failures}\nwindow = \"1m\"\n"
    )
}

#[tokio::test]
async fn bypass_when_no_hash_is_set() {
    let d = Daemon::start().await;
    let (s, _) = json(d.get("/api/cameras")).await;
    assert_eq!(s, 200);
    let (_, settings) = json(d.get("/api/settings")).await;
    assert_eq!(settings["auth"]["password_set"], false);
}

#[tokio::test]
async fn required_failed_and_ok() {
    let hash = mibee_nvr::auth::hash_password("correct horse").unwrap();
    let d = Daemon::start_with_config(Some(&config_with_hash(&hash, 10))).await;

    // Health and readiness never need auth.
    assert_eq!(json(d.get("/api/health")).await.0, 200);
    assert_eq!(json(d.get("/api/readyz")).await.0, 200);

    let resp = d.get("/api/cameras").send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["code"], "AUTH_REQUIRED");

    // The web UI sends X-Requested-With and must not get the browser pop-up header.
    let resp = d
        .get("/api/cameras")
        .header("X-Requested-With", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("www-authenticate").is_none());

    expect_error(
        d.get("/api/cameras").basic_auth("admin", Some("wrong")),
        401,
        "AUTH_FAILED",
    )
    .await;
    expect_error(
        d.get("/api/cameras")
            .basic_auth("root", Some("correct horse")),
        401,
        "AUTH_FAILED",
    )
    .await;
    expect_error(
        d.get("/api/cameras").header("authorization", "Basic !!!"),
        401,
        "AUTH_FAILED",
    )
    .await;
    for _ in 0..3 {
        let (s, _) = json(
            d.get("/api/cameras")
                .basic_auth("admin", Some("correct horse")),
        )
        .await;
        assert_eq!(s, 200);
    }
    let metrics = text(d.get("/metrics").basic_auth("admin", Some("correct horse"))).await;
    assert!(metrics.contains("mibee_auth_failures_total 3"), "{metrics}");
    // Unprotected-by-mistake check: every protected route answers 401 without credentials.
    for path in [
        "/api/stats/system",
        "/api/settings",
        "/api/settings/merge",
        "/api/features",
        "/metrics",
    ] {
        expect_error(d.get(path), 401, "AUTH_REQUIRED").await;
    }
}

#[tokio::test]
async fn bcrypt_hash_from_the_original_works() {
    let hash = bcrypt::hash("legacy-password", 4).unwrap();
    let d = Daemon::start_with_config(Some(&config_with_hash(&hash, 10))).await;
    assert_eq!(
        json(
            d.get("/api/cameras")
                .basic_auth("admin", Some("legacy-password"))
        )
        .await
        .0,
        200
    );
    expect_error(
        d.get("/api/cameras")
            .basic_auth("admin", Some("legacy-passwore")),
        401,
        "AUTH_FAILED",
    )
    .await;
}

#[tokio::test]
async fn repeated_failures_get_429() {
    let hash = mibee_nvr::auth::hash_password("right-password").unwrap();
    let d = Daemon::start_with_config(Some(&config_with_hash(&hash, 3))).await;
    for _ in 0..3 {
        expect_error(
            d.get("/api/cameras").basic_auth("admin", Some("nope")),
            401,
            "AUTH_FAILED",
        )
        .await;
    }
    let resp = d
        .get("/api/cameras")
        .basic_auth("admin", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["code"], "RATE_LIMITED");
    // Locked out means locked out, even with the right password, on every protected route.
    expect_error(
        d.get("/api/settings")
            .basic_auth("admin", Some("right-password")),
        429,
        "RATE_LIMITED",
    )
    .await;
    // Health stays reachable for monitoring.
    assert_eq!(json(d.get("/api/health")).await.0, 200);
}

#[tokio::test]
async fn password_set_through_settings_then_required_then_cleared() {
    let mut d = Daemon::start().await;
    expect_error(
        d.put("/api/settings")
            .json(&json!({"auth": {"password": "short"}})),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(
        d.put("/api/settings")
            .json(&json!({"auth": {"password": "long-enough-pw", "password_hash": "$argon2id$x"}})),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(
        d.put("/api/settings")
            .json(&json!({"auth": {"password_hash": "plain"}})),
        400,
        "INVALID_INPUT",
    )
    .await;
    let (s, v) = json(
        d.put("/api/settings")
            .json(&json!({"auth": {"password": "long-enough-pw"}})),
    )
    .await;
    assert_eq!((s, v["status"].as_str().unwrap()), (200, "updated"));
    assert!(d.config_text().contains("$argon2id$"), "stored as argon2id");
    assert!(
        !d.config_text().contains("long-enough-pw"),
        "plaintext never stored"
    );
    expect_error(d.get("/api/settings"), 401, "AUTH_REQUIRED").await;
    let (_, settings) = json(
        d.get("/api/settings")
            .basic_auth("admin", Some("long-enough-pw")),
    )
    .await;
    assert_eq!(settings["auth"]["password_set"], true);
    assert!(
        settings["auth"].get("password_hash").is_none(),
        "hash never returned"
    );

    d.restart().await;
    expect_error(d.get("/api/cameras"), 401, "AUTH_REQUIRED").await;
    let (s, _) = json(
        d.put("/api/settings")
            .basic_auth("admin", Some("long-enough-pw"))
            .json(&json!({"auth": {"password": ""}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(json(d.get("/api/cameras")).await.0, 200, "auth off again");
}

#[tokio::test]
async fn provisioning_password_is_hashed_at_start() {
    let d = Daemon::start_with_config(Some(
        "[auth]\nusername = \"ops\"\npassword = \"from-the-sd-card\"\n",
    ))
    .await;
    let text = d.config_text();
    assert!(!text.contains("from-the-sd-card"), "{text}");
    assert!(text.contains("$argon2id$"));
    assert_eq!(
        json(
            d.get("/api/cameras")
                .basic_auth("ops", Some("from-the-sd-card"))
        )
        .await
        .0,
        200
    );
}
