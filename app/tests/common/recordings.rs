//! Checks of recordings through the API: listing, downloading and fully decoding each one,
//! comparing it with its index entry, and the continuity of consecutive recordings.

use super::{Daemon, json, wait_for};
use serde_json::Value;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn ns(rfc3339: &str) -> i128 {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .unwrap()
        .unix_timestamp_nanos()
}

pub fn now_ns() -> i128 {
    OffsetDateTime::now_utc().unix_timestamp_nanos()
}

pub async fn cam(d: &Daemon, id: &str) -> Value {
    json(d.get(&format!("/api/cameras/{id}"))).await.1
}

pub async fn wait_status(d: &Daemon, id: &str, status: &str, timeout: Duration) {
    wait_for(&format!("{id} {status}"), timeout, async || {
        cam(d, id).await["status"] == status
    })
    .await;
}

/// Recordings of a camera, oldest first.
pub async fn recordings(d: &Daemon, id: &str) -> Vec<Value> {
    let (s, v) = json(d.get(&format!("/api/recordings?camera_id={id}&limit=1000"))).await;
    assert_eq!(s, 200, "{v}");
    let mut r = v["recordings"].as_array().unwrap().clone();
    r.reverse();
    r
}

/// Downloads a recording, decodes it fully, and returns (ffprobe duration s, frames, profile).
pub async fn verify(d: &Daemon, rec: &Value) -> (f64, u64, String) {
    let id = rec["id"].as_str().unwrap();
    let resp = d
        .get(&format!("/api/recordings/{id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    super::media::assert_decodes(id, &body);
    let p = super::media::probe_json(
        "r.mp4",
        &body,
        &[
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames,profile:format=duration",
        ],
    );
    let dur: f64 = p["format"]["duration"].as_str().unwrap().parse().unwrap();
    let frames: u64 = p["streams"][0]["nb_read_frames"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (
        dur,
        frames,
        p["streams"][0]["profile"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

/// Every recording decodes, matches its index entry, and follows its predecessor without
/// gap or overlap (when `contiguous`). Returns the total recorded seconds and the profile.
pub async fn verify_all(d: &Daemon, id: &str, fps: f64, contiguous: bool) -> (f64, String) {
    let recs = recordings(d, id).await;
    assert!(!recs.is_empty(), "{id}: no recordings");
    let mut total = 0.0;
    let mut profile = String::new();
    for (i, r) in recs.iter().enumerate() {
        let (dur, frames, prof) = verify(d, r).await;
        let indexed = r["duration"].as_f64().unwrap();
        assert!(
            (dur - indexed).abs() <= 1.0 / fps + 0.01,
            "{id}: ffprobe {dur} s vs index {indexed} s"
        );
        assert_eq!(
            frames,
            r["frame_count"].as_u64().unwrap(),
            "{id}: frame count of {}",
            r["id"]
        );
        if contiguous && i > 0 {
            assert_eq!(
                ns(recs[i - 1]["ended_at"].as_str().unwrap()),
                ns(r["started_at"].as_str().unwrap()),
                "{id}: gap/overlap at {i}"
            );
        }
        total += indexed;
        profile = prof;
    }
    (total, profile)
}
