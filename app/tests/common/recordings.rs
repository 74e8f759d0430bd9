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

/// Stops the camera and waits until its last recording reached the index (it ends at the
/// last frame before the stop; the index commits within 2 s): a flush, not a fixed sleep.
pub async fn stop_and_flush(d: &Daemon, id: &str) {
    let stopped = now_ns();
    let (s, v) = json(d.post(&format!("/api/cameras/{id}/stop"))).await;
    assert_eq!(s, 200, "{v}");
    wait_indexed_through(d, id, stopped - 1_500_000_000).await;
}

/// One figure of `/metrics` (`name{camera="id"}` when `camera` is given); 0 when absent.
pub async fn metric(d: &Daemon, name: &str, camera: Option<&str>) -> f64 {
    let text = super::text(d.get("/metrics")).await;
    let key = match camera {
        Some(c) => format!("{name}{{camera=\"{c}\"}} "),
        None => format!("{name} "),
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

/// Seconds of a camera's recordings in the index (the recording being written counts once
/// it closes).
pub async fn recorded_secs(d: &Daemon, id: &str) -> f64 {
    recordings(d, id)
        .await
        .iter()
        .map(|r| r["duration"].as_f64().unwrap())
        .sum()
}

/// Waits until the index holds at least `secs` seconds of the camera's recordings.
pub async fn wait_recorded(d: &Daemon, id: &str, secs: f64, timeout: Duration) {
    wait_for(&format!("{id}: {secs} s recorded"), timeout, async || {
        recorded_secs(d, id).await >= secs
    })
    .await;
}

/// Waits until the index holds at least `n` recordings of the camera.
pub async fn wait_recordings(d: &Daemon, id: &str, n: usize, timeout: Duration) {
    wait_for(&format!("{id}: {n} recordings"), timeout, async || {
        recordings(d, id).await.len() >= n
    })
    .await;
}

/// The camera's `last_seen` (Unix ns): when its last video frame arrived.
pub async fn last_seen(d: &Daemon, id: &str) -> Option<i128> {
    cam(d, id).await["last_seen"].as_str().map(ns)
}

/// Waits until the camera received video up to `t` (Unix ns): the media arrived, not just
/// the time passed.
pub async fn wait_seen(d: &Daemon, id: &str, t: i128, timeout: Duration) {
    wait_for(&format!("{id}: video up to {t}"), timeout, async || {
        last_seen(d, id).await.is_some_and(|s| s >= t)
    })
    .await;
}

/// Waits until the camera's current run of recording holds `secs` seconds of video (from
/// `recording_since` to `last_seen`): that much was recorded, however long it took.
pub async fn wait_recording_run(d: &Daemon, id: &str, secs: f64, timeout: Duration) {
    wait_for(
        &format!("{id}: {secs} s into its recording"),
        timeout,
        async || {
            let c = cam(d, id).await;
            match (c["recording_since"].as_str(), c["last_seen"].as_str()) {
                (Some(since), Some(seen)) => (ns(seen) - ns(since)) as f64 / 1e9 >= secs,
                _ => false,
            }
        },
    )
    .await;
}

/// Waits until the camera's last recording in the index holds the frame that arrived at
/// `seen` (its `last_seen`, read just before a stop or a delete): the recording the stop
/// closed. Half a second of leeway for the mapping of media time to wall time; a recording
/// closed before the stop reaches the index only a GOP (1 s or more) after its end.
pub async fn wait_indexed_through(d: &Daemon, id: &str, seen: i128) {
    wait_for(
        &format!("{id}: last recording indexed"),
        Duration::from_secs(15),
        async || {
            recordings(d, id)
                .await
                .last()
                .is_some_and(|r| ns(r["ended_at"].as_str().unwrap()) >= seen - 500_000_000)
        },
    )
    .await;
}

/// Stops every camera of `ids` (all of them first), then waits until each one's last
/// recording is indexed: the one holding the last frame seen before its stop. Unlike
/// `stop_and_flush`'s 2 s window this holds when several cameras share index commits, where
/// a recording closed just before the stop can be committed ahead of the one the stop closes.
pub async fn stop_all_and_flush(d: &Daemon, ids: &[&str]) {
    let mut stops = Vec::new();
    for &id in ids {
        let seen = last_seen(d, id)
            .await
            .unwrap_or_else(|| panic!("{id}: no video before the stop"));
        let (s, v) = json(d.post(&format!("/api/cameras/{id}/stop"))).await;
        assert_eq!(s, 200, "{v}");
        stops.push((id, seen));
    }
    for (id, seen) in stops {
        wait_indexed_through(d, id, seen).await;
    }
}
