//! Camera management against the running daemon: create/list/get/update/delete, id rules,
//! error paths, and that a rejected request changes nothing and accepted ones persist.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn create_list_get_update_delete() {
    let d = Daemon::start().await;
    let (s, cam) = json(d.post("/api/cameras").json(&json!({
        "name": "Front Door", "protocol": "rtsp", "encoding": "h264",
        "url": "rtsp://127.0.0.1:8554/stream", "username": "admin", "password": "secret",
        "enabled": true, "retention_days": 7, "sub_stream_url": "rtsp://127.0.0.1:8554/sub",
        "snapshot_url": "http://127.0.0.1:8080/snap.jpg", "sample_interval": 1, "hls_max_fps": 15
    })))
    .await;
    assert_eq!(s, 201, "{cam}");
    assert_eq!(cam["id"], "front-door");
    // Nothing listens at that URL: the new camera's pipeline is trying to connect.
    let status = cam["status"].as_str().unwrap();
    assert!(["connecting", "reconnecting"].contains(&status), "{cam}");
    assert_eq!(cam["has_password"], true);
    assert!(
        cam.get("password").is_none(),
        "password never returned: {cam}"
    );
    assert_eq!(cam["retention_days"], 7);
    assert_eq!(cam["hls_max_fps"], 15);
    assert!(cam["last_seen"].is_null());
    // The camera password must be kept (to connect), so the config file is private.
    use std::os::unix::fs::PermissionsExt;
    assert!(d.config_text().contains("password = \"secret\""));
    assert_eq!(
        std::fs::metadata(d.config_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o077,
        0
    );

    // Same name again: a suffixed slug.
    let (s, cam2) = json(
        d.post("/api/cameras")
            .json(&json!({"name": "Front Door", "url": "rtsp://127.0.0.1/x"})),
    )
    .await;
    assert_eq!((s, cam2["id"].as_str().unwrap()), (201, "front-door-2"));
    assert_eq!(cam2["encoding"], "h264", "rtsp defaults to h264");
    assert_eq!(cam2["retention_days"], 30, "global retention applies");

    let (s, list) = json(d.get("/api/cameras")).await;
    assert_eq!(s, 200);
    let ids: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["front-door", "front-door-2"]);

    let (s, mut one) = json(d.get("/api/cameras/front-door")).await;
    // The runtime status moves on its own (connecting, reconnecting); the rest is the same.
    let mut created = cam.clone();
    for v in [&mut one, &mut created] {
        v.as_object_mut()
            .unwrap()
            .retain(|k, _| k != "status" && k != "status_reason");
    }
    assert_eq!((s, &one), (200, &created));

    // Partial update: only the given fields change; the password is kept.
    let (s, upd) = json(
        d.put("/api/cameras/front-door")
            .json(&json!({"name": "Updated", "enabled": false})),
    )
    .await;
    assert_eq!(s, 200, "{upd}");
    assert_eq!(upd["name"], "Updated");
    assert_eq!(upd["enabled"], false);
    assert_eq!(upd["status"], "disabled");
    assert_eq!(upd["url"], cam["url"]);
    assert_eq!(upd["has_password"], true);
    // "" clears the password; null returns retention to the global value.
    let (_, upd) = json(
        d.put("/api/cameras/front-door")
            .json(&json!({"password": "", "retention_days": null})),
    )
    .await;
    assert_eq!(upd["has_password"], false);
    assert_eq!(upd["retention_days"], 30);
    assert_eq!(upd["retention_custom"], false);

    let (s, del) = json(d.delete("/api/cameras/front-door")).await;
    assert_eq!((s, del), (200, json!({"status": "deleted"})));
    expect_error(d.get("/api/cameras/front-door"), 404, "CAMERA_NOT_FOUND").await;
    expect_error(d.delete("/api/cameras/front-door"), 404, "CAMERA_NOT_FOUND").await;
    expect_error(
        d.put("/api/cameras/front-door").json(&json!({"name": "x"})),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn explicit_ids_and_conflicts() {
    let d = Daemon::start().await;
    let body = json!({"id": "gate", "name": "Gate", "url": "rtsp://127.0.0.1/g"});
    let (s, _) = json(d.post("/api/cameras").json(&body)).await;
    assert_eq!(s, 201);
    expect_error(
        d.post("/api/cameras").json(&body),
        409,
        "CAMERA_ALREADY_EXISTS",
    )
    .await;
    for bad in ["Gate", "ga te", "", "a_b", &"x".repeat(65)] {
        expect_error(
            d.post("/api/cameras")
                .json(&json!({"id": bad, "name": "n", "url": "rtsp://127.0.0.1/g"})),
            400,
            "INVALID_INPUT",
        )
        .await;
    }
    let (_, list) = json(d.get("/api/cameras")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_input_is_invalid_input_and_changes_nothing() {
    let d = Daemon::start().await;
    let (s, _) = json(
        d.post("/api/cameras")
            .json(&json!({"id": "cam", "name": "Cam", "url": "rtsp://127.0.0.1/a"})),
    )
    .await;
    assert_eq!(s, 201);
    let before_file = d.config_text();
    let (_, before) = json(d.get("/api/cameras/cam")).await;

    let bad_posts = [
        json!({"name": "X", "url": "rtsp://127.0.0.1/a", "colour": "red"}), // unknown field
        json!({"name": "X"}),                                               // url missing
        json!({"name": "X", "url": "not a url"}),
        json!({"name": "X", "url": "http://127.0.0.1/a", "protocol": "rtsp"}), // wrong scheme
        json!({"name": "X", "url": "rtsp://127.0.0.1/a", "protocol": "rtsp_h264"}),
        json!({"name": "X", "url": "rtsp://127.0.0.1/a", "encoding": "vp9"}),
        json!({"name": "X", "url": "rtsp://127.0.0.1/a", "retention_days": 0}),
        json!({"name": "X", "url": "rtsp://127.0.0.1/a", "retention_days": -1}),
        json!({"name": "X", "url": "rtsp://127.0.0.1/a", "hls_max_fps": 1000}),
        json!({"name": "", "url": "rtsp://127.0.0.1/a"}),
        json!({"name": "X", "url": "http://127.0.0.1/a", "protocol": "http", "encoding": "h264"}),
    ];
    for body in bad_posts {
        expect_error(d.post("/api/cameras").json(&body), 400, "INVALID_INPUT").await;
    }
    let bad_puts = [
        json!({"url": "ftp://127.0.0.1/"}),
        json!({"sample_interval": 0}),
        json!({"enabled": "yes"}),
        json!({"id": "renamed"}),
        json!({"name": "ok", "nonsense": true}),
    ];
    for body in bad_puts {
        expect_error(d.put("/api/cameras/cam").json(&body), 400, "INVALID_INPUT").await;
    }
    // Malformed JSON and wrong content type.
    expect_error(
        d.post("/api/cameras")
            .header("content-type", "application/json")
            .body("{\"name\": "),
        400,
        "INVALID_INPUT",
    )
    .await;
    expect_error(d.post("/api/cameras").body("name=x"), 400, "INVALID_INPUT").await;

    assert_eq!(d.config_text(), before_file, "config file untouched");
    let (_, after) = json(d.get("/api/cameras/cam")).await;
    assert_eq!(config_part(&after), config_part(&before));
    let (_, list) = json(d.get("/api/cameras")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn cameras_survive_a_restart() {
    let mut d = Daemon::start().await;
    json(d.post("/api/cameras").json(&json!({"name": "Porch", "url": "rtsp://127.0.0.1/p", "password": "pw", "rtsp_transport": "udp"}))).await;
    json(
        d.put("/api/cameras/porch/merge-config")
            .json(&json!({"enabled": false})),
    )
    .await;
    let (_, before) = json(d.get("/api/cameras/porch")).await;
    d.restart().await;
    let (s, after) = json(d.get("/api/cameras/porch")).await;
    assert_eq!(s, 200);
    assert_eq!(config_part(&after), config_part(&before));
    assert_eq!(after["rtsp_transport"], "udp");
    assert_eq!(after["merge"]["enabled"], false);
}

#[tokio::test]
async fn passwords_inside_urls_are_never_returned_and_survive_an_edit() {
    let d = Daemon::start().await;
    let body = serde_json::json!({"name": "Creds", "protocol": "rtsp",
        "url": "rtsp://bob:hunter2@127.0.0.1:9/live", "enabled": false});
    let (s, cam) = json(d.post("/api/cameras").json(&body)).await;
    assert_eq!(s, 201, "{cam}");
    assert_eq!(cam["url"], "rtsp://bob:***@127.0.0.1:9/live");
    let (_, list) = json(d.get("/api/cameras")).await;
    assert!(!list.to_string().contains("hunter2"), "{list}");
    // An edit form sends the URL back as shown: the real password stays.
    let (s, upd) = json(
        d.put("/api/cameras/creds")
            .json(&serde_json::json!({"name": "Creds 2", "url": cam["url"]})),
    )
    .await;
    assert_eq!(s, 200, "{upd}");
    assert_eq!(upd["url"], "rtsp://bob:***@127.0.0.1:9/live");
    assert!(
        d.config_text()
            .contains("rtsp://bob:hunter2@127.0.0.1:9/live")
    );
    // A new password is taken as typed.
    json(
        d.put("/api/cameras/creds")
            .json(&serde_json::json!({"url": "rtsp://bob:s3cret@127.0.0.1:9/live"})),
    )
    .await;
    assert!(
        d.config_text()
            .contains("rtsp://bob:s3cret@127.0.0.1:9/live")
    );
}
