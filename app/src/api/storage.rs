//! Storage figures: `GET /api/stats` (filesystem use, recordings, what the daemon wrote,
//! write amplification, an estimate of SD-card wear, the last cleanup), `GET /api/stats/trends`
//! (one sample per day, kept in the database), and the merger's `GET /api/merge/status` and
//! `GET /api/merge/pending`.

use crate::api::openapi::{ERR_401, ERR_429};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::media::rfc3339_ns;
use crate::state::AppState;
use crate::sync::LockExt;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use utoipa::ToSchema;

/// Program/erase cycles assumed for the card (consumer TLC SD cards are rated ~500-3000;
/// we assume the low end so the estimate errs on the safe side).
pub const ASSUMED_PE_CYCLES: u64 = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct CardWear {
    pub assumed_pe_cycles: u64,
    /// Lifetime bytes written ÷ (card size × cycles), in percent.
    pub wear_percent: f64,
    /// At the write rate of the recent daily samples; null until two days are known.
    pub estimated_days_left: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CleanupView {
    /// RFC 3339; null before the first pass.
    pub last_run_time: Option<String>,
    pub recordings_deleted: u64,
    pub bytes_released: u64,
    pub files_removed: u64,
    pub error_count: u64,
    /// Recording is paused: the disk is full and nothing of ours is left to delete.
    pub recording_paused: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Storage filesystem size and use (`df`).
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
    pub used_percent: f64,
    pub recording_count: u64,
    pub camera_count: u64,
    /// Bytes of all indexed recordings.
    pub recordings_bytes: u64,
    /// Bytes written since start by kind: video, config, index_and_other, process_total.
    pub bytes_written: BTreeMap<String, u64>,
    /// Video bytes received from cameras since start.
    pub media_received_bytes: u64,
    /// process_total ÷ media_received_bytes; null before any media arrived.
    pub write_amplification: Option<f64>,
    /// Bytes written over the daemon's lifetime (all boots).
    pub lifetime_bytes_written: u64,
    pub card_wear: CardWear,
    pub cleanup: CleanupView,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[utoipa::path(get, path = "/api/stats", operation_id = "getStats", tag = "storage",
    security(("basic" = [])),
    responses(
        (status = 200, body = Stats),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn stats(State(app): State<AppState>) -> ApiResult<Json<Stats>> {
    let a = app.clone();
    tokio::task::spawn_blocking(move || stats_blocking(&a))
        .await
        .map_err(ApiError::internal)?
        .map(Json)
}

fn stats_blocking(app: &AppState) -> ApiResult<Stats> {
    let u = app
        .reclaimer
        .usage()
        .map_err(|e| ApiError::internal(format!("storage: {e}")))?;
    let groups = app.db.camera_groups()?;
    let bytes_written: BTreeMap<String, u64> = app
        .bytes_written()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let received = app.media_received_bytes();
    let process_total = bytes_written.get("process_total").copied().unwrap_or(0);
    let lifetime = app.lifecycle.lifetime_bytes_written();
    let endurance = u.total_bytes.saturating_mul(ASSUMED_PE_CYCLES).max(1);
    let samples = app.db.daily_samples()?;
    let recent: Vec<_> = samples.iter().rev().take(8).collect();
    let estimated_days_left = match (recent.first(), recent.last()) {
        (Some(new), Some(old)) if recent.len() >= 2 => {
            let per_day = new
                .lifetime_bytes_written
                .saturating_sub(old.lifetime_bytes_written)
                / (recent.len() as u64 - 1);
            (per_day > 0).then(|| endurance.saturating_sub(lifetime) / per_day)
        }
        _ => None,
    };
    let c = &app.reclaimer.counters;
    let cleanup = app.lifecycle.status.cleanup.locked().clone();
    Ok(Stats {
        total_bytes: u.total_bytes,
        used_bytes: u.used_bytes(),
        available_bytes: u.available_bytes,
        used_percent: round3(u.used_percent()),
        recording_count: groups.iter().map(|g| g.recordings).sum(),
        camera_count: app.config.get().cameras.len() as u64,
        recordings_bytes: groups.iter().map(|g| g.bytes).sum(),
        bytes_written,
        media_received_bytes: received,
        write_amplification: (received > 0).then(|| round3(process_total as f64 / received as f64)),
        lifetime_bytes_written: lifetime,
        card_wear: CardWear {
            assumed_pe_cycles: ASSUMED_PE_CYCLES,
            wear_percent: round3(lifetime as f64 * 100.0 / endurance as f64),
            estimated_days_left,
        },
        cleanup: CleanupView {
            last_run_time: cleanup.last_run_ns.map(rfc3339_ns),
            recordings_deleted: c.recordings_deleted.load(Relaxed),
            bytes_released: c.bytes_released.load(Relaxed),
            files_removed: c.files_removed.load(Relaxed),
            error_count: cleanup.error_count,
            recording_paused: app.reclaimer.is_full(),
        },
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendSample {
    /// UTC day, YYYY-MM-DD.
    pub date: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub recording_count: u64,
    pub lifetime_bytes_written: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Trends {
    /// Oldest first; one per day (the day's latest sample, taken hourly).
    pub trends: Vec<TrendSample>,
}

#[utoipa::path(get, path = "/api/stats/trends", operation_id = "getStatsTrends", tag = "storage",
    security(("basic" = [])),
    responses(
        (status = 200, body = Trends),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn trends(State(app): State<AppState>) -> ApiResult<Json<Trends>> {
    let db = app.db.clone();
    let samples = tokio::task::spawn_blocking(move || db.daily_samples())
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(Trends {
        trends: samples
            .into_iter()
            .map(|s| TrendSample {
                date: s.date,
                total_bytes: s.total_bytes,
                used_bytes: s.used_bytes,
                recording_count: s.recording_count,
                lifetime_bytes_written: s.lifetime_bytes_written,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeStatus {
    /// `[merge] enabled` (cameras may override it).
    pub enabled: bool,
    pub error_count: u64,
    /// Always 0: merging is a metadata operation and creates no files.
    pub files_created: u64,
    /// Merged recordings created since start.
    pub recordings_created: u64,
    /// RFC 3339; null before the first pass.
    pub last_run_time: Option<String>,
    /// Recordings replaced by merged ones since start.
    pub segments_merged: u64,
}

#[utoipa::path(get, path = "/api/merge/status", operation_id = "getMergeStatus", tag = "storage",
    security(("basic" = [])),
    responses(
        (status = 200, body = MergeStatus),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn merge_status(State(app): State<AppState>) -> Json<MergeStatus> {
    let st = app.lifecycle.status.merge.locked().clone();
    Json(MergeStatus {
        enabled: app.config.get().merge.enabled,
        error_count: st.error_count,
        files_created: 0,
        recordings_created: st.recordings_created,
        last_run_time: st.last_run_ns.map(rfc3339_ns),
        segments_merged: st.segments_merged,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergePending {
    /// Camera id → recordings not merged yet (cameras with merging disabled are left out).
    pub pending: BTreeMap<String, u64>,
}

#[utoipa::path(get, path = "/api/merge/pending", operation_id = "getMergePending", tag = "storage",
    security(("basic" = [])),
    responses(
        (status = 200, body = MergePending),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn merge_pending(State(app): State<AppState>) -> ApiResult<Json<MergePending>> {
    let db = app.db.clone();
    let counts = tokio::task::spawn_blocking(move || db.unmerged_counts())
        .await
        .map_err(ApiError::internal)??;
    let cfg = app.config.get();
    Ok(Json(MergePending {
        pending: counts
            .into_iter()
            .filter(|(cam, _)| crate::storage::lifecycle::effective_merge(&cfg, cam).enabled)
            .collect(),
    }))
}
