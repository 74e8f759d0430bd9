//! Basic auth against the running daemon: bypass without a hash, 401 codes and headers,
//! argon2 and imported bcrypt hashes, rate limiting with 429, password changes via PUT, and
//! the media-session cookie (reads only; ends with the password, on DELETE and on restart).

mod common;
use common::*;
use serde_json::json;

fn config_with_hash(hash: &str, max_failures: u32) -> String {
    format!(
        "[auth]\nusername = \"admin\"\npassword_hash = '{hash}'\n[auth.rate_limit]\nmax_failures = {max_failures}\nwindow = \"1m\"\n"
    )
}

/// Opens a media session with Basic; answers the cookie pair (`mibee_session=…`).
async fn session_cookie(d: &Daemon, password: &str) -> String {
    let resp = d
        .post("/api/auth/session")
        .basic_auth("admin", Some(password))
        .send()
        .await
        .unwrap();
    resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
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
    // Nor its <video>/<img> elements (a prompt would hold them open); a typed URL still asks.
    for (dest, prompt) in [
        ("video", false),
        ("image", false),
        ("empty", false),
        ("document", true),
    ] {
        let resp = d
            .get("/api/cameras")
            .header("Sec-Fetch-Dest", dest)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(
            resp.headers().contains_key("www-authenticate"),
            prompt,
            "{dest}"
        );
    }

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
async fn another_sites_page_cannot_change_anything() {
    let hash = mibee_nvr::auth::hash_password("right-password").unwrap();
    let d = Daemon::start_with_config(Some(&config_with_hash(&hash, 10))).await;
    let own = d.base.clone();
    let backups = async || {
        json(
            d.get("/api/backups")
                .basic_auth("admin", Some("right-password")),
        )
        .await
        .1
    };
    let before = backups().await;
    // The browser has the Basic credentials cached; a page on another site (or another
    // port of the same host) posts with them: refused before anything runs.
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("origin", "http://127.0.0.1:1"),
        ("sec-fetch-site", "cross-site"),
    ] {
        for (method, path) in [
            (reqwest::Method::POST, "/api/backup"),
            (reqwest::Method::POST, "/api/system/reboot"),
            (reqwest::Method::PUT, "/api/settings"),
        ] {
            let req = d
                .client
                .request(method.clone(), d.url(path))
                .basic_auth("admin", Some("right-password"))
                .header(name, value)
                .json(&json!({"cleanup": {"retention_days": 2}}));
            let v = expect_error(req, 403, "CROSS_SITE_REQUEST").await;
            assert!(v["error"].as_str().unwrap().contains("cross-site"), "{v}");
        }
    }
    assert_eq!(backups().await, before, "no backup was made");
    // The box's own page, and scripts that send no Origin, work; reads stay open.
    let (s, v) = json(
        d.post("/api/backup")
            .basic_auth("admin", Some("right-password"))
            .header("origin", own.as_str())
            .header("sec-fetch-site", "same-origin"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = json(
        d.post("/api/backup")
            .basic_auth("admin", Some("right-password")),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = json(
        d.get("/api/cameras")
            .basic_auth("admin", Some("right-password"))
            .header("origin", "http://evil.example"),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn parallel_guesses_are_counted_as_if_sent_one_by_one() {
    let hash = mibee_nvr::auth::hash_password("right-password").unwrap();
    let d = Daemon::start_with_config(Some(&config_with_hash(&hash, 10))).await;
    let guesses = (0..50).map(|i| {
        d.get("/api/cameras")
            .basic_auth("admin", Some(format!("guess-{i}")))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused + limited, 50, "{statuses:?}");
    assert!(
        refused <= 10,
        "at most max_failures verified: {refused} × 401"
    );
    expect_error(
        d.get("/api/cameras")
            .basic_auth("admin", Some("right-password")),
        429,
        "RATE_LIMITED",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_user_takes_as_long_as_a_wrong_password() {
    let hash = mibee_nvr::auth::hash_password("right-password").unwrap();
    let d = Daemon::start_with_config(Some(&config_with_hash(&hash, 1000))).await;
    let median_ms = async |user: &str| {
        let mut ms = Vec::new();
        for i in 0..7 {
            let t = std::time::Instant::now();
            let r = d
                .get("/api/cameras")
                .basic_auth(user, Some(format!("wrong-{i}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        ms[3]
    };
    let wrong_password = median_ms("admin").await;
    let wrong_user = median_ms("someone-else").await;
    assert!(
        wrong_user >= 0.5 * wrong_password,
        "a wrong user answers in {wrong_user:.1} ms, a wrong password in {wrong_password:.1} ms"
    );
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

#[tokio::test]
async fn media_session_cookie_authorizes_reads_only() {
    const PW: &str = "correct horse";
    let hash = mibee_nvr::auth::hash_password(PW).unwrap();
    let mut d = Daemon::start_with_config(Some(&config_with_hash(&hash, 50))).await;
    expect_error(d.post("/api/auth/session"), 401, "AUTH_REQUIRED").await;

    let open = |d: &Daemon, pw: &str| d.post("/api/auth/session").basic_auth("admin", Some(pw));
    let resp = open(&d, PW).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let set = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api", "Max-Age=43200"] {
        assert!(set.contains(attr), "{set}");
    }
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(v["expires_at"].as_str().unwrap().contains('T'), "{v}");
    let cookie = set.split(';').next().unwrap().to_string();
    assert!(
        cookie.starts_with("mibee_session=") && cookie.len() > 40,
        "{cookie}"
    );

    // Reads work with the cookie alone; anything that changes state does not.
    let with = |rb: reqwest::RequestBuilder| rb.header("cookie", format!("a=b; {cookie}"));
    assert_eq!(json(with(d.get("/api/cameras"))).await.0, 200);
    assert_eq!(json(with(d.get("/api/settings"))).await.0, 200);
    let head = with(d.client.head(d.url("/api/stats")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let cam = json!({"name": "x", "protocol": "rtsp", "url": "rtsp://127.0.0.1:9/x"});
    expect_error(
        with(d.post("/api/cameras")).json(&cam),
        401,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        with(d.put("/api/settings")).json(&json!({"cleanup": {"retention_days": 3}})),
        401,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(with(d.post("/api/auth/session")), 401, "AUTH_REQUIRED").await;
    let (_, cams) = json(d.get("/api/cameras").basic_auth("admin", Some(PW))).await;
    assert_eq!(cams.as_array().unwrap().len(), 0, "nothing was created");
    // A forged or foreign cookie is nothing; Basic, when sent, is what counts.
    expect_error(
        d.get("/api/cameras").header(
            "cookie",
            "mibee_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
        401,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        with(d.get("/api/cameras")).basic_auth("admin", Some("wrong")),
        401,
        "AUTH_FAILED",
    )
    .await;

    // A new password ends every session opened under the old one.
    let (s, _) = json(
        d.put("/api/settings")
            .basic_auth("admin", Some(PW))
            .json(&json!({"auth": {"password": "a new password"}})),
    )
    .await;
    assert_eq!(s, 200);
    expect_error(with(d.get("/api/cameras")), 401, "AUTH_REQUIRED").await;

    // DELETE ends the session and clears the cookie.
    let cookie2 = session_cookie(&d, "a new password").await;
    assert_eq!(
        json(d.get("/api/cameras").header("cookie", &cookie2))
            .await
            .0,
        200
    );
    let del = d
        .delete("/api/auth/session")
        .basic_auth("admin", Some("a new password"))
        .header("cookie", &cookie2)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    assert!(
        del.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    expect_error(
        d.get("/api/cameras").header("cookie", &cookie2),
        401,
        "AUTH_REQUIRED",
    )
    .await;

    // Sessions live in memory: a restart ends them.
    let cookie3 = session_cookie(&d, "a new password").await;
    assert_eq!(
        json(d.get("/api/cameras").header("cookie", &cookie3))
            .await
            .0,
        200
    );
    d.restart().await;
    expect_error(
        d.get("/api/cameras").header("cookie", &cookie3),
        401,
        "AUTH_REQUIRED",
    )
    .await;
}
