//! Settings, merge settings, per-camera merge overrides and feature flags against the
//! running daemon: partial PUTs, validation, restart_required, persistence.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn settings_get_put_and_persist() {
    let mut d = Daemon::start().await;
    let (s, v) = json(d.get("/api/settings")).await;
    assert_eq!(s, 200);
    assert_eq!(v["server"]["listen"], ":9090");
    assert_eq!(v["storage"]["segment_duration"], "30s");
    assert_eq!(
        v["cleanup"],
        json!({"retention_days": 30, "check_interval": "1h", "disk_threshold_percent": 95})
    );
    assert_eq!(v["auth"]["username"], "admin");

    let (s, r) = json(d.put("/api/settings").json(&json!({
        "cleanup": {"retention_days": 60, "disk_threshold_percent": 90, "check_interval": "30m"}
    })))
    .await;
    assert_eq!(
        (s, r),
        (200, json!({"status": "updated", "restart_required": false}))
    );
    let (_, v) = json(d.get("/api/settings")).await;
    assert_eq!(
        v["cleanup"],
        json!({"retention_days": 60, "check_interval": "30m", "disk_threshold_percent": 90})
    );
    assert_eq!(
        v["storage"]["segment_duration"], "30s",
        "untouched sections stay"
    );

    let (_, r) = json(
        d.put("/api/settings")
            .json(&json!({"server": {"listen": ":9191"}, "storage": {"segment_duration": "1m"}})),
    )
    .await;
    assert_eq!(r["restart_required"], true);
    d.restart().await; // --listen overrides the port for the test run; the setting persists
    let (_, v) = json(d.get("/api/settings")).await;
    assert_eq!(v["server"]["listen"], ":9191");
    assert_eq!(v["storage"]["segment_duration"], "1m");
    assert_eq!(v["cleanup"]["retention_days"], 60);
}

#[tokio::test]
async fn restart_required_compares_with_what_runs() {
    let d = Daemon::start().await;
    let put = async |body: serde_json::Value| {
        let (s, r) = json(d.put("/api/settings").json(&body)).await;
        assert_eq!(s, 200, "{r}");
        r["restart_required"].as_bool().unwrap()
    };
    let (_, v) = json(d.get("/api/settings")).await;
    // Sent back as read: nothing changes, nothing to restart.
    assert!(!put(json!({"storage": v["storage"], "server": v["server"]})).await);
    assert!(put(json!({"server": {"listen": ":9191"}})).await);
    assert!(
        put(json!({"cleanup": {"retention_days": 20}})).await,
        "the listen change still waits for a restart"
    );
    assert!(
        !put(json!({"server": {"listen": ":9090"}})).await,
        "set back"
    );
    assert!(put(json!({"storage": {"root_dir": "elsewhere"}})).await);
    assert!(!put(json!({"storage": {"root_dir": "recordings"}})).await);
}

#[tokio::test]
async fn root_dir_never_climbs_and_duplicate_keys_are_refused() {
    let d = Daemon::start().await;
    let before_file = d.config_text();
    for root in ["../../../../etc", "recordings/../../x"] {
        let body = json!({"storage": {"root_dir": root}});
        expect_error(d.put("/api/settings").json(&body), 400, "PATH_TRAVERSAL").await;
    }
    for root in ["/etc", "/proc/self", "/"] {
        let body = json!({"storage": {"root_dir": root}});
        expect_error(d.put("/api/settings").json(&body), 400, "INVALID_INPUT").await;
    }
    // `{"name":"x","name":"y"}` would silently keep "y": refused, at any depth.
    for body in [
        r#"{"cleanup": {"retention_days": 10, "retention_days": 20}}"#,
        r#"{"cleanup": {"retention_days": 10}, "cleanup": {"retention_days": 20}}"#,
    ] {
        let v = expect_error(
            d.put("/api/settings")
                .header("content-type", "application/json")
                .body(body),
            400,
            "INVALID_INPUT",
        )
        .await;
        assert!(
            v["error"].as_str().unwrap().contains("duplicate key"),
            "{v}"
        );
    }
    let dup_camera = r#"{"id":"a","name":"x","name":"y","protocol":"rtsp","encoding":"h264","url":"rtsp://127.0.0.1/a"}"#;
    expect_error(
        d.post("/api/cameras")
            .header("content-type", "application/json")
            .body(dup_camera),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(d.get("/api/cameras/a"), 404, "CAMERA_NOT_FOUND").await;
    assert_eq!(d.config_text(), before_file);
}

#[tokio::test]
async fn rejected_settings_change_nothing() {
    let d = Daemon::start().await;
    let before_file = d.config_text();
    let (_, before) = json(d.get("/api/settings")).await;
    let bad = [
        json!({"cleanup": {"retention_days": 0}}),
        json!({"cleanup": {"retention_days": 3651}}),
        json!({"cleanup": {"disk_threshold_percent": 100}}),
        json!({"cleanup": {"disk_threshold_percent": 49}}),
        json!({"cleanup": {"check_interval": "9s"}}),
        json!({"cleanup": {"check_interval": "soon"}}),
        json!({"cleanup": {"check_interval": "30"}}),
        json!({"cleanup": {"retention_days": 10, "disk_threshold_percent": 10}}), // all or nothing
        json!({"server": {"listen": "9090"}}),
        json!({"server": {"listen": ":0"}}),
        json!({"storage": {"segment_duration": "1s"}}),
        json!({"storage": {"root_dir": ""}}),
        json!({"auth": {"username": "a:b"}}),
        json!({"auth": {"rate_limit": {"max_failures": 0}}}),
        json!({"cleanup": {"retention_days": 10, "typo": 1}}),
        json!({"clean_up": {}}),
        json!({"cleanup": {"retention_days": "ten"}}),
        json!({"cleanup": {"retention_days": -5}}),
        json!([1, 2]),
    ];
    for body in bad {
        expect_error(d.put("/api/settings").json(&body), 400, "INVALID_INPUT").await;
    }
    expect_error(
        d.put("/api/settings")
            .header("content-type", "application/json")
            .body("{"),
        400,
        "INVALID_INPUT",
    )
    .await;
    assert_eq!(d.config_text(), before_file);
    assert_eq!(json(d.get("/api/settings")).await.1, before);
}

#[tokio::test]
async fn merge_settings_global_and_per_camera() {
    let d = Daemon::start().await;
    let (s, m) = json(d.get("/api/settings/merge")).await;
    assert_eq!(s, 200);
    assert_eq!(
        m,
        json!({"enabled": true, "check_interval": "1h", "window_size": "1h", "batch_limit": 200, "min_segment_age": "10m", "min_segments_to_merge": 3})
    );
    let (s, r) = json(d.put("/api/settings/merge").json(
        &json!({"enabled": true, "check_interval": "30m", "batch_limit": 100, "window_size": "2h"}),
    ))
    .await;
    assert_eq!((s, r), (200, json!({"status": "updated"})));
    let (_, m) = json(d.get("/api/settings/merge")).await;
    assert_eq!(
        (
            m["check_interval"].as_str(),
            m["batch_limit"].as_u64(),
            m["window_size"].as_str()
        ),
        (Some("30m"), Some(100), Some("2h"))
    );
    for bad in [
        json!({"min_segments_to_merge": 1}),
        json!({"batch_limit": 0}),
        json!({"window_size": "x"}),
        json!({"speed": 1}),
    ] {
        expect_error(
            d.put("/api/settings/merge").json(&bad),
            400,
            "INVALID_INPUT",
        )
        .await;
    }

    expect_error(
        d.put("/api/cameras/ghost/merge-config")
            .json(&json!({"enabled": false})),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;
    expect_error(
        d.delete("/api/cameras/ghost/merge-config"),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;
    json(
        d.post("/api/cameras")
            .json(&json!({"id": "yard", "name": "Yard", "url": "rtsp://127.0.0.1/y"})),
    )
    .await;
    let (s, r) = json(
        d.put("/api/cameras/yard/merge-config")
            .json(&json!({"enabled": false, "batch_limit": 50})),
    )
    .await;
    assert_eq!((s, r), (200, json!({"status": "updated"})));
    let (s, _) = json(
        d.put("/api/cameras/yard/merge-config")
            .json(&json!({"min_segment_age": "5m"})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, cam) = json(d.get("/api/cameras/yard")).await;
    assert_eq!(
        cam["merge"],
        json!({"enabled": false, "batch_limit": 50, "min_segment_age": "5m"})
    );
    expect_error(
        d.put("/api/cameras/yard/merge-config")
            .json(&json!({"min_segments_to_merge": 0})),
        400,
        "INVALID_INPUT",
    )
    .await;
    let (_, cam2) = json(d.get("/api/cameras/yard")).await;
    assert_eq!(
        cam2["merge"], cam["merge"],
        "rejected override changed nothing"
    );
    let (s, r) = json(d.delete("/api/cameras/yard/merge-config")).await;
    assert_eq!((s, r), (200, json!({"status": "reset"})));
    assert!(json(d.get("/api/cameras/yard")).await.1["merge"].is_null());
}

#[tokio::test]
async fn feature_flags() {
    let mut d = Daemon::start().await;
    let (s, f) = json(d.get("/api/features")).await;
    assert_eq!(
        (s, f),
        (
            200,
            json!({"features": {"experimental_hls": false, "auto_delete_old": true, "webdav_upload": false}})
        )
    );
    let (s, r) = json(
        d.put("/api/features")
            .json(&json!({"experimental_hls": true, "auto_delete_old": false})),
    )
    .await;
    assert_eq!((s, r), (200, json!({"status": "updated"})));
    expect_error(
        d.put("/api/features").json(&json!({"teleport": true})),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(
        d.put("/api/features")
            .json(&json!({"webdav_upload": "yes"})),
        400,
        "INVALID_INPUT",
    )
    .await;
    d.restart().await;
    let (_, f) = json(d.get("/api/features")).await;
    assert_eq!(
        f["features"],
        json!({"experimental_hls": true, "auto_delete_old": false, "webdav_upload": false})
    );
}

#[tokio::test]
async fn a_bad_config_file_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("mibee-nvr.toml");
    std::fs::write(&cfg, "[cleanup]\nretention_days = 0\n").unwrap();
    let (ok, _, stderr) = cli(&cfg, &["check"]);
    assert!(!ok && stderr.contains("cleanup.retention_days"), "{stderr}");
    let (ok, _, stderr) = cli(&cfg, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!ok && stderr.contains("cleanup.retention_days"), "{stderr}");
}
