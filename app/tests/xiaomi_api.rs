//! The Xiaomi endpoints against the repository's fake cloud (fixtures/xiaomi_cloud.py), which
//! the unmodified micloud client proves faithful first: sign-in by password, captcha and
//! e-mail or phone verification; devices; sync (added, renamed, vanished kept); the session
//! renewed with the passToken, persisted encrypted across restarts, and signed out; wrong
//! passwords and codes, a slow, unreachable or babbling cloud: clear errors, nothing changed.

mod common;
use common::xiaomicloud::XiaomiCloud;
use common::*;
use serde_json::{Value, json};
use std::time::Instant;

async fn sign_in(d: &Daemon, password: &str) -> (u16, Value) {
    json(
        d.post("/api/xiaomi/auth")
            .json(&json!({"username": "u@example.com", "password": password})),
    )
    .await
}

fn xiaomi_cameras(cams: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = cams
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["protocol"] == "xiaomi")
        .map(|c| {
            (
                c["did"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn sign_in_devices_sync_renew_and_persist() {
    let cloud = XiaomiCloud::start(&[]);
    // The fake is faithful: the independent client signs in and lists its devices.
    let oracle = cloud.oracle("secret", false);
    assert_eq!(oracle["login"], true, "{oracle}");
    assert_eq!(
        oracle["micloud_devices"].as_array().unwrap().len(),
        6,
        "{oracle}"
    );
    assert_eq!(cloud.oracle("wrong", true)["access_denied"], true);

    let mut d = Daemon::start_with_config(Some(&cloud.config("3s"))).await;
    expect_error(d.get("/api/xiaomi/devices"), 401, "XIAOMI_AUTH_REQUIRED").await;
    // The cloud's addresses and region are settings; bad values change nothing.
    for bad in [
        json!({"region": "xx"}),
        json!({"api_url": "ftp://x"}),
        json!({"timeout": "5m"}),
    ] {
        expect_error(
            d.put("/api/settings").json(&json!({"xiaomi": bad})),
            400,
            "INVALID_INPUT",
        )
        .await;
    }
    let (s, _) = json(
        d.put("/api/settings")
            .json(&json!({"xiaomi": {"region": "sg"}})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, settings) = json(d.get("/api/settings")).await;
    assert_eq!(settings["xiaomi"]["region"], "sg");
    assert_eq!(settings["xiaomi"]["account_url"], cloud.base.as_str());
    assert_eq!(settings["xiaomi"]["timeout"], "3s");
    let (s, v) = sign_in(&d, "wrong").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("XIAOMI_AUTH_FAILED")),
        "{v}"
    );
    assert!(v["error"].as_str().unwrap().contains("password"), "{v}");
    assert_eq!(json(d.get("/api/xiaomi/auth")).await.1["signed_in"], false);

    let (s, v) = sign_in(&d, "secret").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["user_id"], cloud.user_id.as_str());
    assert_eq!(v["region"], "sg", "the region setting is the default");
    let token = v["token"].as_str().unwrap();
    assert_eq!(token.len(), 16, "a handle, not the service token: {v}");

    let (s, v) = json(d.get("/api/xiaomi/devices")).await;
    assert_eq!(s, 200, "{v}");
    let devices = v["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 6, "all pages of 3: {v}");
    let cams: Vec<_> = devices.iter().filter(|x| x["camera"] == true).collect();
    assert_eq!(cams.len(), 3, "{v}");
    let garden = devices.iter().find(|x| x["did"] == "100000002").unwrap();
    assert_eq!(
        (garden["model"].as_str(), garden["online"].as_bool()),
        (Some("isa.camera.hlc7"), Some(false))
    );

    // Sync: the three camera models become cameras; the plug, gateway and sensor do not.
    let (s, r) = json(d.post("/api/xiaomi/sync")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["synced"].as_u64(),
            r["added"].as_u64(),
            r["removed"].as_u64()
        ),
        (Some(3), Some(3), Some(0)),
        "{r}"
    );
    let (_, all) = json(d.get("/api/cameras")).await;
    let xs = xiaomi_cameras(&all);
    assert_eq!(
        xs.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["100000001", "100000002", "100000003"]
    );
    let front = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["did"] == "100000001")
        .unwrap();
    assert_eq!(front["vendor"], "chuangmi.camera.ipc019");
    assert_eq!(front["url"], "xiaomi://100000001");
    assert!(
        front["status_reason"].as_str().unwrap().contains("RTSP"),
        "{front}"
    );
    let (_, again) = json(d.post("/api/xiaomi/sync")).await;
    assert_eq!(
        (again["added"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );

    // A rename follows the cloud; a device that left is reported and its camera kept.
    cloud
        .control(json!({"op": "device_set", "did": "100000001", "name": "Porch"}))
        .await;
    cloud
        .control(json!({"op": "device_remove", "did": "100000002"}))
        .await;
    let (_, r) = json(d.post("/api/xiaomi/sync")).await;
    assert_eq!(
        (
            r["synced"].as_u64(),
            r["added"].as_u64(),
            r["updated"].as_u64(),
            r["removed"].as_u64()
        ),
        (Some(2), Some(0), Some(1), Some(1)),
        "{r}"
    );
    let garden_id = xs.iter().find(|x| x.0 == "100000002").unwrap().2.clone();
    assert_eq!(r["vanished"], json!([garden_id]));
    let (_, all) = json(d.get("/api/cameras")).await;
    let now = xiaomi_cameras(&all);
    assert_eq!(now.len(), 3, "nothing deleted: {now:?}");
    assert!(
        now.iter().any(|x| x.0 == "100000001" && x.1 == "Porch"),
        "{now:?}"
    );

    // An expired service token is renewed with the passToken, without the password.
    cloud.control(json!({"op": "expire_tokens"})).await;
    let (s, v) = json(d.get("/api/xiaomi/devices")).await;
    assert_eq!(s, 200, "renewed: {v}");

    // The session survives a restart, stored encrypted; no token or password in clear on disk.
    d.restart().await;
    let (s, v) = json(d.get("/api/xiaomi/devices")).await;
    assert_eq!(s, 200, "after restart: {v}");
    let st = cloud.state().await;
    assert_eq!(st["password_in_clear"].as_u64(), Some(0), "{st}");
    for entry in std::fs::read_dir(d.config_path().parent().unwrap()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            for secret in [b"secret".as_slice(), b"V1:pass", b"serviceToken"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret),
                    "{} holds {:?}",
                    p.display(),
                    String::from_utf8_lossy(secret)
                );
            }
        }
    }

    // A passToken that no longer works ends the session: sign in again.
    cloud
        .control(json!({"op": "expire_tokens", "pass_tokens": true}))
        .await;
    expect_error(d.get("/api/xiaomi/devices"), 401, "XIAOMI_AUTH_REQUIRED").await;
    assert_eq!(json(d.get("/api/xiaomi/auth")).await.1["signed_in"], false);
    assert_eq!(sign_in(&d, "secret").await.0, 200);
    let (s, v) = json(d.delete("/api/xiaomi/auth")).await;
    assert_eq!((s, v["signed_in"].as_bool()), (200, Some(false)));
    expect_error(d.post("/api/xiaomi/sync"), 401, "XIAOMI_AUTH_REQUIRED").await;
    let (_, all) = json(d.get("/api/cameras")).await;
    assert_eq!(
        xiaomi_cameras(&all).len(),
        3,
        "signing out keeps the cameras"
    );
}

#[tokio::test]
async fn captcha_and_two_factor_sign_ins() {
    let cloud = XiaomiCloud::start(&["--captcha", "--captcha-code", "ABCD"]);
    let d = Daemon::start_with_config(Some(&cloud.config("3s"))).await;
    let (s, v) = sign_in(&d, "secret").await;
    assert_eq!(
        (s, v["status"].as_str()),
        (202, Some("captcha_required")),
        "{v}"
    );
    assert_eq!(v["captcha_type"], "image/png");
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(v["captcha_image"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    // A fresh image on request; the old id is gone.
    let old = v["captcha_id"].as_str().unwrap().to_string();
    let (s, v) = json(
        d.post("/api/xiaomi/captcha")
            .json(&json!({"username": "u@example.com"})),
    )
    .await;
    assert_eq!(s, 202, "{v}");
    let id = v["captcha_id"].as_str().unwrap().to_string();
    expect_error(
        d.post("/api/xiaomi/verify")
            .json(&json!({"captcha_id": old, "captcha_code": "ABCD"})),
        400,
        "INVALID_INPUT",
    )
    .await;
    // Another account, no sign-in waiting: a captcha of its own (the reference's flow).
    let (s, v) = json(
        d.post("/api/xiaomi/captcha")
            .json(&json!({"username": "other@example.com"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (202, Some("captcha_required")),
        "{v}"
    );
    assert_ne!(v["captcha_id"].as_str().unwrap(), id);
    // A wrong code brings a new captcha with a message; the right one signs in.
    let (s, v) = json(
        d.post("/api/xiaomi/verify")
            .json(&json!({"captcha_id": id, "captcha_code": "WXYZ"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (202, Some("captcha_required")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("wrong"), "{v}");
    let id = v["captcha_id"].as_str().unwrap();
    let (s, v) = json(d.post("/api/xiaomi/verify").json(&json!({"captcha_id": id, "captcha_code": "abcd", "username": "u@example.com", "password": "secret"}))).await;
    assert_eq!(
        (s, v["user_id"].as_str()),
        (200, Some(cloud.user_id.as_str())),
        "{v}"
    );
    assert_eq!(json(d.get("/api/xiaomi/devices")).await.0, 200);

    // The reference's own flow: signed out, a captcha for the username first, then the
    // answer with the password in /verify (without the password: 400, the captcha stays).
    assert_eq!(json(d.delete("/api/xiaomi/auth")).await.0, 200);
    let (s, v) = json(
        d.post("/api/xiaomi/captcha")
            .json(&json!({"username": "u@example.com"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (202, Some("captcha_required")),
        "{v}"
    );
    assert!(
        v["captcha_image"].as_str().is_some_and(|i| !i.is_empty()),
        "{v}"
    );
    let id = v["captcha_id"].as_str().unwrap().to_string();
    expect_error(
        d.post("/api/xiaomi/verify")
            .json(&json!({"captcha_id": id, "captcha_code": "ABCD"})),
        400,
        "INVALID_INPUT",
    )
    .await;
    let (s, v) = json(d.post("/api/xiaomi/verify").json(&json!({"captcha_id": id, "captcha_code": "ABCD", "username": "u@example.com", "password": "secret"}))).await;
    assert_eq!(
        (s, v["user_id"].as_str()),
        (200, Some(cloud.user_id.as_str())),
        "the reference's captcha-first sign-in: {v}"
    );

    // Identity verification by e-mail, then by phone.
    for factor in ["email", "phone"] {
        cloud.control(json!({"op": "set", "captcha": false, "two_factor": factor, "verify_code": "123456"})).await;
        cloud.control(json!({"op": "untrust"})).await;
        let (s, v) = sign_in(&d, "secret").await;
        assert_eq!(
            (s, v["status"].as_str(), v["method"].as_str()),
            (202, Some("verification_required"), Some(factor)),
            "{v}"
        );
        assert!(v["masked_target"].as_str().unwrap().contains('*'), "{v}");
        let id = v["verification_id"].as_str().unwrap().to_string();
        let (s, e) = json(
            d.post("/api/xiaomi/verify")
                .json(&json!({"verification_id": id, "code": "000000"})),
        )
        .await;
        assert_eq!(
            (s, e["code"].as_str()),
            (401, Some("XIAOMI_AUTH_FAILED")),
            "{e}"
        );
        // A typo can be corrected with the same id.
        let (s, v) = json(
            d.post("/api/xiaomi/verify")
                .json(&json!({"verification_id": id, "code": "123456"})),
        )
        .await;
        assert_eq!(s, 200, "{factor}: {v}");
        let (s, v) = json(d.get("/api/xiaomi/devices")).await;
        assert_eq!(
            (s, v["devices"].as_array().map(Vec::len)),
            (200, Some(6)),
            "{factor}: {v}"
        );
    }
    for bad in [
        json!({}),
        json!({"captcha_id": "x"}),
        json!({"verification_id": "nope", "code": "123456"}),
        json!({"verification_id": "x", "code": "12 34"}),
        json!({"captcha_id": "x", "captcha_code": "A", "verification_id": "y", "code": "1"}),
        json!({"captcha_id": "x", "captcha_code": "A", "extra": 1}),
    ] {
        expect_error(
            d.post("/api/xiaomi/verify").json(&bad),
            400,
            "INVALID_INPUT",
        )
        .await;
    }
    for bad in [
        json!({"username": "u"}),
        json!({"username": "", "password": "p"}),
        json!({"username": "u", "password": "p", "region": "xx"}),
    ] {
        expect_error(d.post("/api/xiaomi/auth").json(&bad), 400, "INVALID_INPUT").await;
    }
}

#[tokio::test]
async fn a_slow_unreachable_or_babbling_cloud_is_a_clear_error() {
    let cloud = XiaomiCloud::start(&[]);
    let d = Daemon::start_with_config(Some(&cloud.config("2s"))).await;
    assert_eq!(sign_in(&d, "secret").await.0, 200);
    let (_, before) = json(d.get("/api/cameras")).await;

    // Slow: answered within the 2 s timeout with XIAOMI_CLOUD_ERROR.
    for path in ["/pass/serviceLogin", "/app/v2/home/device_list_page"] {
        cloud
            .control(json!({"op": "fault", "mode": "hang", "path": path, "delay_s": 10}))
            .await;
        let t = Instant::now();
        let (s, v) = if path.starts_with("/pass") {
            sign_in(&d, "secret").await
        } else {
            json(d.post("/api/xiaomi/sync")).await
        };
        assert_eq!(
            (s, v["code"].as_str()),
            (502, Some("XIAOMI_CLOUD_ERROR")),
            "{path}: {v}"
        );
        assert!(v["error"].as_str().unwrap().contains("within"), "{v}");
        assert!(t.elapsed().as_secs_f64() < 4.0, "{path}: {:?}", t.elapsed());
        cloud.control(json!({"op": "clear_faults"})).await;
    }
    // A reply without the `&&&START&&&` prefix is still the JSON it should be: tolerated.
    cloud
        .control(json!({"op": "fault", "mode": "no_prefix", "path": "/pass/serviceLogin"}))
        .await;
    assert_eq!(sign_in(&d, "secret").await.0, 200);
    // Malformed replies on every step: an error, and the daemon goes on.
    for (path, modes) in [
        (
            "/pass/serviceLogin",
            &["garbage", "truncated", "html", "empty", "close"][..],
        ),
        (
            "/pass/serviceLoginAuth2",
            &["garbage", "truncated", "bad_json", "http"][..],
        ),
        ("/sts", &["http", "close"][..]),
        (
            "/app/v2/home/device_list_page",
            &[
                "garbage",
                "truncated",
                "wrong_rc4",
                "bad_json",
                "html",
                "http",
                "close",
            ][..],
        ),
    ] {
        for mode in modes {
            cloud
                .control(json!({"op": "fault", "mode": mode, "path": path, "status": 500}))
                .await;
            let (s, v) = if path.starts_with("/app") {
                json(d.post("/api/xiaomi/sync")).await
            } else {
                sign_in(&d, "secret").await
            };
            assert!(s == 502 || s == 401, "{path} {mode}: {s} {v}");
            assert!(
                v["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{path} {mode}: {v}"
            );
            cloud.control(json!({"op": "clear_faults"})).await;
        }
    }
    assert_eq!(json(d.get("/api/health")).await.0, 200);
    let (_, after) = json(d.get("/api/cameras")).await;
    assert_eq!(before, after, "failed syncs changed nothing");
    assert_eq!(sign_in(&d, "secret").await.0, 200, "works again");

    // The tests' loopback-only mode keeps the real cloud out of reach (not even DNS).
    let real = Daemon::start().await;
    let (s, v) = sign_in(&real, "secret").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (502, Some("XIAOMI_CLOUD_ERROR")),
        "{v}"
    );
    assert!(
        v["error"].as_str().unwrap().contains("loopback-only"),
        "{v}"
    );

    // Unreachable: a closed port answers at once with a clear error.
    drop(cloud);
    let t = Instant::now();
    let (s, v) = sign_in(&d, "secret").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (502, Some("XIAOMI_CLOUD_ERROR")),
        "{v}"
    );
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("unreachable") && e.contains("refused"), "{v}");
    assert!(t.elapsed().as_secs_f64() < 3.0);
}
