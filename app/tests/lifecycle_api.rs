//! The storage lifecycle through the API against real RTSP cameras (gst-rtsp-server): merge
//! as a metadata operation (zero video bytes rewritten, measured from /proc/PID/io) with
//! per-camera overrides; archive groups of deleted cameras and their retention; stats and
//! trends; backup, restore and the CLI. Every recording involved downloads and decodes.

mod common;
use common::fakecam::FakeCam;
use common::media::assert_decodes;
use common::recordings::{last_seen, stop_all_and_flush, wait_indexed_through, wait_recordings};
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

/// Live encoders load the CPU: one test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SPEC: &str = "codec=h264,size=320x240,fps=15,bitrate=400,gop=15";

fn camera(id: &str, url: &str, extra: &str) -> String {
    camera_toml(id, "rtsp", "h264", url, extra)
}

fn config(cameras: &[String]) -> String {
    format!(
        "[storage]\nsegment_duration = \"5s\"\n\n{}",
        cameras.join("\n")
    )
}

/// Recordings (oldest first), optionally of one camera.
async fn recordings(d: &Daemon, cam: Option<&str>) -> Vec<Value> {
    let q = cam.map(|c| format!("&camera_id={c}")).unwrap_or_default();
    let (s, v) = json(d.get(&format!("/api/recordings?limit=1000{q}"))).await;
    assert_eq!(s, 200, "{v}");
    let mut r = v["recordings"].as_array().unwrap().clone();
    r.reverse();
    r
}

async fn decodes(d: &Daemon, r: &Value) {
    let id = r["id"].as_str().unwrap();
    let resp = d
        .get(&format!("/api/recordings/{id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "download {id}");
    assert_decodes(id, &resp.bytes().await.unwrap());
}

async fn process_written(d: &Daemon) -> u64 {
    let (_, s) = json(d.get("/api/stats")).await;
    s["bytes_written"]["process_total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_rewrites_no_video_and_honours_camera_overrides() {
    let _serial = SERIAL.lock().await;
    let spec = "codec=h264,size=640x360,fps=15,bitrate=1500,gop=15";
    let cams = FakeCam::start(&[spec, SPEC], &[]);
    let d = Daemon::start_with_config(Some(&config(&[
        camera("a", &cams.url(0), ""),
        camera("b", &cams.url(1), "[cameras.merge]\nenabled = false\n"),
    ])))
    .await;
    // Five recordings of each camera in the index, then the ones being written flushed.
    for c in ["a", "b"] {
        wait_recordings(&d, c, 5, Duration::from_secs(90)).await;
    }
    stop_all_and_flush(&d, &["a", "b"]).await;
    let parts = recordings(&d, Some("a")).await;
    let parts_b = recordings(&d, Some("b")).await;
    assert!(parts.len() >= 5, "{} recordings of a", parts.len());
    let (_, pending) = json(d.get("/api/merge/pending")).await;
    assert_eq!(pending["pending"]["a"].as_u64(), Some(parts.len() as u64));
    assert!(
        pending["pending"].get("b").is_none(),
        "merging is off for b: {pending}"
    );
    let written_before = process_written(&d).await;
    // Any merge setting change runs the merger at once.
    let (s, v) = json(d.put("/api/settings/merge").json(&json!({
        "min_segment_age": "0s", "min_segments_to_merge": 3, "window_size": "1m",
    })))
    .await;
    assert_eq!(s, 200, "{v}");
    wait_for("merged recordings", Duration::from_secs(15), async || {
        recordings(&d, Some("a"))
            .await
            .iter()
            .any(|r| r["merged"] == true)
    })
    .await;
    let merged_list = recordings(&d, Some("a")).await;
    let written = process_written(&d).await - written_before;
    let merged_bytes: u64 = merged_list
        .iter()
        .filter(|r| r["merged"] == true)
        .map(|r| r["file_size"].as_u64().unwrap())
        .sum();
    assert!(merged_bytes > 1_000_000, "{merged_bytes} bytes merged");
    // What was written is the index commit and the config file, not a copy of the video.
    assert!(
        written < 256 << 10 && written * 8 < merged_bytes,
        "merging {merged_bytes} bytes of recordings wrote {written} bytes: video was rewritten"
    );
    // Each merged recording spans exactly the parts it replaced.
    for m in merged_list.iter().filter(|r| r["merged"] == true) {
        let covered: Vec<&Value> = parts
            .iter()
            .filter(|p| {
                p["started_at"].as_str() >= m["started_at"].as_str()
                    && p["ended_at"].as_str() <= m["ended_at"].as_str()
            })
            .collect();
        assert!(covered.len() >= 3, "{m}");
        assert_eq!(m["started_at"], covered[0]["started_at"]);
        assert_eq!(m["ended_at"], covered[covered.len() - 1]["ended_at"]);
        let frames: u64 = covered
            .iter()
            .map(|p| p["frame_count"].as_u64().unwrap())
            .sum();
        assert_eq!(m["frame_count"].as_u64(), Some(frames));
        let size: u64 = covered
            .iter()
            .map(|p| p["file_size"].as_u64().unwrap())
            .sum();
        assert_eq!(m["file_size"].as_u64(), Some(size));
        let span = m["duration"].as_f64().unwrap();
        let sum: f64 = covered
            .iter()
            .map(|p| p["duration"].as_f64().unwrap())
            .sum();
        assert!(
            (span - sum).abs() < 0.01,
            "merged {span} s vs parts {sum} s"
        );
        for p in covered {
            let gone = d
                .get(&format!("/api/recordings/{}", p["id"].as_str().unwrap()))
                .send()
                .await
                .unwrap()
                .status();
            assert!(
                gone == 404 || p["id"] == m["id"],
                "part {} still listed",
                p["id"]
            );
        }
        decodes(&d, m).await;
    }
    // Per-camera `enabled = false` really disables merging.
    assert_eq!(recordings(&d, Some("b")).await, parts_b);
    let (_, st) = json(d.get("/api/merge/status")).await;
    assert!(st["segments_merged"].as_u64().unwrap() >= 3, "{st}");
    assert!(st["recordings_created"].as_u64().unwrap() >= 1, "{st}");
    assert_eq!(st["files_created"], 0);
    assert_eq!(st["error_count"], 0);
    assert!(st["last_run_time"].is_string());
    let (_, merged_only) = json(d.get("/api/recordings?merged=true")).await;
    assert!(merged_only["total"].as_u64().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn archives_keep_deleted_cameras_recordings_with_their_own_retention() {
    let _serial = SERIAL.lock().await;
    let cams = FakeCam::start(&[SPEC], &[]);
    let d = Daemon::start_with_config(Some(&config(&[camera("gone", &cams.url(0), "")]))).await;
    wait_recordings(&d, "gone", 2, Duration::from_secs(60)).await;
    // Deleted while recording: the recording being written is flushed to the index.
    let seen = last_seen(&d, "gone").await.expect("video seen");
    assert_eq!(json(d.delete("/api/cameras/gone")).await.0, 200);
    wait_indexed_through(&d, "gone", seen).await;
    let recs = recordings(&d, Some("gone")).await;
    assert!(
        recs.len() >= 2,
        "recordings kept after the camera was deleted"
    );
    let (s, a) = json(d.get("/api/archives")).await;
    assert_eq!(s, 200);
    let g = &a["archives"][0];
    assert_eq!(g["camera_id"], "gone");
    assert_eq!(g["camera_exists"], false);
    assert_eq!(g["retention_days"], 30, "the global retention until set");
    assert_eq!(g["recordings_count"].as_u64(), Some(recs.len() as u64));
    let bytes: u64 = recs.iter().map(|r| r["file_size"].as_u64().unwrap()).sum();
    assert_eq!(g["total_bytes"].as_u64(), Some(bytes));
    // Retention: bad input changes nothing.
    for bad in [
        json!({"retention_days": 0}),
        json!({"retention_days": 3651}),
        json!({"retention_days": "7"}),
        json!({"retention_days": 7, "extra": 1}),
        json!({}),
    ] {
        expect_error(
            d.put("/api/archives/gone/retention").json(&bad),
            400,
            "INVALID_INPUT",
        )
        .await;
    }
    expect_error(
        d.put("/api/archives/nothing/retention")
            .json(&json!({"retention_days": 7})),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;
    let (_, a) = json(d.get("/api/archives")).await;
    assert_eq!(a["archives"][0]["retention_days"], 30);
    let (s, _) = json(
        d.put("/api/archives/gone/retention")
            .json(&json!({"retention_days": 7})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, a) = json(d.get("/api/archives")).await;
    assert_eq!(a["archives"][0]["retention_days"], 7);
    // The group's recordings; one deleted through the archive API.
    let (_, list) = json(d.get("/api/archives/gone/recordings")).await;
    assert_eq!(list["total"].as_u64(), Some(recs.len() as u64));
    let first = recs[0]["id"].as_str().unwrap();
    expect_error(
        d.delete(&format!("/api/archives/other/recordings/{first}")),
        404,
        "RECORDING_NOT_FOUND",
    )
    .await;
    let (s, _) = json(d.delete(&format!("/api/archives/gone/recordings/{first}"))).await;
    assert_eq!(s, 200);
    let (_, list) = json(d.get("/api/archives/gone/recordings?limit=1")).await;
    assert_eq!(list["total"].as_u64(), Some(recs.len() as u64 - 1));
    assert_eq!(list["recordings"].as_array().unwrap().len(), 1);
    decodes(&d, &list["recordings"][0]).await;
    // The whole group: index and files.
    let dir = d.dir.path().join("recordings/gone");
    assert!(std::fs::read_dir(&dir).unwrap().count() > 0);
    let (s, _) = json(d.delete("/api/archives/gone")).await;
    assert_eq!(s, 200);
    let (_, a) = json(d.get("/api/archives")).await;
    assert_eq!(a["archives"], json!([]));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "files deleted");
    expect_error(d.delete("/api/archives/gone"), 404, "CAMERA_NOT_FOUND").await;
    expect_error(
        d.get("/api/archives/gone/recordings"),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;
    let (_, stats) = json(d.get("/api/stats")).await;
    assert_eq!(stats["recording_count"], 0);
    assert_eq!(stats["camera_count"], 0);
    assert!(stats["cleanup"]["files_removed"].as_u64().unwrap() >= 1);
    let (_, trends) = json(d.get("/api/stats/trends")).await;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let t = trends["trends"].as_array().unwrap();
    assert_eq!(t.last().unwrap()["date"], today);
    assert!(t.last().unwrap()["total_bytes"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_then_restore_brings_the_state_back() {
    let _serial = SERIAL.lock().await;
    let cams = FakeCam::start(&[SPEC, SPEC], &[]);
    let mut d =
        Daemon::start_with_config(Some(&config(&[camera("front", &cams.url(0), "")]))).await;
    wait_recordings(&d, "front", 2, Duration::from_secs(60)).await;
    let (s, b) = json(d.post("/api/backup")).await;
    assert_eq!(s, 200, "{b}");
    let id = b["backup_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("backup_"));
    let archive = std::fs::read(b["path"].as_str().unwrap()).unwrap();
    assert_eq!(b["size_bytes"].as_u64(), Some(archive.len() as u64));
    let (_, list) = json(d.get("/api/backups")).await;
    assert_eq!(list["backups"][0]["backup_id"], id.as_str());
    let dl = d
        .get(&format!("/api/backups/{id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(dl.status(), 200);
    assert_eq!(dl.bytes().await.unwrap().to_vec(), archive);
    let (_, cameras_before) = json(d.get("/api/cameras")).await;
    let (_, settings_before) = json(d.get("/api/settings")).await;
    let recs_before = recordings(&d, Some("front")).await;
    // Change everything: delete the camera, a recording, a setting; add another camera.
    assert_eq!(json(d.delete("/api/cameras/front")).await.0, 200);
    let doomed = recs_before[0]["id"].as_str().unwrap();
    assert_eq!(
        json(d.delete(&format!("/api/recordings/{doomed}"))).await.0,
        200
    );
    let (s, _) = json(
        d.put("/api/settings")
            .json(&json!({"cleanup": {"retention_days": 60}})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = json(d.post("/api/cameras").json(&json!({
        "id": "later", "name": "later", "protocol": "rtsp", "encoding": "h264", "url": cams.url(1)
    })))
    .await;
    assert_eq!(s, 201, "{v}");
    wait_recordings(&d, "later", 1, Duration::from_secs(60)).await;
    // Refusals change nothing.
    expect_error(
        d.post("/api/backups").body(b"not a backup".to_vec()),
        400,
        "INVALID_INPUT",
    )
    .await;
    // A malformed chunked upload answers in our JSON too (axum's own rejection is text).
    let raw = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(d.base.trim_start_matches("http://"))
            .await
            .unwrap();
        tcp.write_all(b"POST /api/backups HTTP/1.1\r\nHost: nvr\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        tcp.read_to_string(&mut out).await.unwrap();
        out
    };
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(
        raw.to_ascii_lowercase()
            .contains("content-type: application/json")
            && raw.contains("\"code\":\"INVALID_INPUT\""),
        "{raw}"
    );
    expect_error(d.post("/api/backups/backup_1/restore"), 404, "NOT_FOUND").await;
    expect_error(d.post("/api/backups/..%2Fx/restore"), 404, "NOT_FOUND").await;
    let (_, cams_now) = json(d.get("/api/cameras")).await;
    assert_eq!(cams_now.as_array().map(|a| a.len()).unwrap_or(0), 1);
    // Upload the archive again (as after reflashing), then restore it.
    let (s, up) = json(d.post("/api/backups").body(archive.clone())).await;
    assert_eq!(s, 200, "{up}");
    let (s, r) = json(d.post(&format!("/api/backups/{id}/restore"))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["status"], "restored");
    assert_eq!(r["restart_required"], false);
    assert_eq!(
        r["recordings_dropped"], 1,
        "the deleted recording's video is gone"
    );
    // (The newer files are adopted by the restore or by the cleanup pass its config
    // change wakes, whichever sweeps first.)
    let (_, cameras_after) = json(d.get("/api/cameras")).await;
    let strip =
        |v: &Value| -> Vec<Value> { v.as_array().unwrap().iter().map(config_part).collect() };
    assert_eq!(strip(&cameras_after), strip(&cameras_before));
    let (_, settings_after) = json(d.get("/api/settings")).await;
    assert_eq!(settings_after, settings_before);
    // The backup's recordings (but the deleted one) and the newer camera's (as an archive).
    let front = recordings(&d, Some("front")).await;
    let ids: Vec<&Value> = front.iter().map(|r| &r["id"]).collect();
    for r in &recs_before[1..] {
        assert!(ids.contains(&&r["id"]), "{} restored", r["id"]);
    }
    assert!(!ids.contains(&&recs_before[0]["id"]));
    let later = recordings(&d, Some("later")).await;
    assert!(
        !later.is_empty(),
        "recordings made after the backup are kept"
    );
    for r in front.iter().take(3).chain(later.iter().take(2)) {
        decodes(&d, r).await;
    }
    // Recording resumes on the restored config.
    wait_for(
        "front recording again",
        Duration::from_secs(20),
        async || json(d.get("/api/cameras/front")).await.1["status"] == "recording",
    )
    .await;
    assert!(d.stop().success());
    let (ok, out, err) = cli(&d.config_path(), &["check"]);
    assert!(ok && out.contains("agree with the disk"), "{out}{err}");
    // The CLI, daemon stopped: back up, refuse junk, restore.
    let (ok, out, err) = cli(&d.config_path(), &["backup"]);
    assert!(ok, "{err}");
    let path = out.trim().to_string();
    assert!(std::path::Path::new(&path).is_file());
    let junk = d.dir.path().join("junk.tar.gz");
    std::fs::write(&junk, b"junk").unwrap();
    let before = d.config_text();
    let (ok, _, err) = cli(&d.config_path(), &["restore", junk.to_str().unwrap()]);
    assert!(!ok && err.contains("not a valid MiBee NVR backup"), "{err}");
    assert_eq!(d.config_text(), before);
    let (ok, out, err) = cli(&d.config_path(), &["restore", &path]);
    assert!(ok, "{out}{err}");
    d.spawn().await;
    let (_, cameras_cli) = json(d.get("/api/cameras")).await;
    assert_eq!(strip(&cameras_cli), strip(&cameras_before));
}
