//! Archive groups (design/spec-decisions.md): all recordings of one camera id, whether the
//! camera is still configured or was deleted. List them, list one group's recordings, delete a
//! group or one of its recordings, and set a group's retention (a configured camera's
//! `retention_days`, else the group's own, kept in the database). Deletions take the one
//! deletion path.

use crate::api::json::{ApiJson, ApiPath, StatusBody};
use crate::api::openapi::{ERR_400, ERR_401, ERR_429};
use crate::api::recordings::{FilePaths, RecordingList, view};
use crate::db::RecordingFilter;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::media::rfc3339_ns;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const ERR_404_ARCHIVE: &str = "CAMERA_NOT_FOUND (no such archive group) or RECORDING_NOT_FOUND";

#[derive(Debug, Serialize, ToSchema)]
pub struct ArchiveView {
    pub camera_id: String,
    /// Days this group's recordings are kept.
    pub retention_days: u32,
    pub recordings_count: u64,
    /// Mebibytes, rounded down.
    pub total_size_mb: u64,
    pub total_bytes: u64,
    /// The camera is still configured.
    pub camera_exists: bool,
    /// Start of the oldest and of the newest recording (RFC 3339).
    pub oldest: String,
    pub newest: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArchiveList {
    pub archives: Vec<ArchiveView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionBody {
    /// 1-3650.
    #[schema(minimum = 1, maximum = 3650)]
    pub retention_days: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-1000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// 0-1000000000.
    #[param(minimum = 0, maximum = 1000000000)]
    pub offset: Option<u64>,
}

fn archive_not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::CameraNotFound,
        format!("archive not found: {id}"),
    )
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

#[utoipa::path(get, path = "/api/archives", operation_id = "listArchives", tag = "archives",
    security(("basic" = [])),
    responses(
        (status = 200, body = ArchiveList),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn list(State(app): State<AppState>) -> ApiResult<Json<ArchiveList>> {
    let a = app.clone();
    blocking(move || {
        let cfg = a.config.get();
        let archives =
            a.db.camera_groups()?
                .into_iter()
                .map(|g| ArchiveView {
                    retention_days: a.reclaimer.retention_days(&cfg, &g.camera_id),
                    recordings_count: g.recordings,
                    total_size_mb: g.bytes >> 20,
                    total_bytes: g.bytes,
                    camera_exists: cfg.camera(&g.camera_id).is_some(),
                    oldest: rfc3339_ns(g.oldest_start_ns),
                    newest: rfc3339_ns(g.newest_start_ns),
                    camera_id: g.camera_id,
                })
                .collect();
        Ok(Json(ArchiveList { archives }))
    })
    .await
}

fn group_exists(app: &AppState, camera_id: &str) -> ApiResult<bool> {
    Ok(app
        .db
        .camera_groups()?
        .iter()
        .any(|g| g.camera_id == camera_id))
}

#[utoipa::path(get, path = "/api/archives/{camera_id}/recordings", operation_id = "listArchiveRecordings", tag = "archives",
    security(("basic" = [])), params(("camera_id" = String, Path, description = "Camera id of the group"), PageQuery),
    responses(
        (status = 200, body = RecordingList),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_ARCHIVE, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn recordings(
    State(app): State<AppState>,
    ApiPath(camera_id): ApiPath<String>,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<RecordingList>> {
    let Query(q) = q.map_err(|e| ApiError::invalid(e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    if !(1..=1000).contains(&limit) || offset > 1_000_000_000 {
        return Err(ApiError::invalid("limit: 1..=1000, offset: 0..=1000000000"));
    }
    let a = app.clone();
    blocking(move || {
        if !group_exists(&a, &camera_id)? {
            return Err(archive_not_found(&camera_id));
        }
        let filter = RecordingFilter {
            camera_id: Some(camera_id),
            ..Default::default()
        };
        let (rows, total) = a.db.list_recordings(&filter, offset, limit)?;
        let mut paths = FilePaths::new();
        let recordings = rows
            .iter()
            .map(|(id, r)| view(&a, *id, r, &mut paths))
            .collect();
        Ok(Json(RecordingList { recordings, total }))
    })
    .await
}

#[utoipa::path(delete, path = "/api/archives/{camera_id}", operation_id = "deleteArchive", tag = "archives",
    security(("basic" = [])), params(("camera_id" = String, Path, description = "Camera id of the group")),
    responses(
        (status = 200, body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_ARCHIVE, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn delete(
    State(app): State<AppState>,
    ApiPath(camera_id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    let a = app.clone();
    blocking(move || {
        if !group_exists(&a, &camera_id)? {
            return Err(archive_not_found(&camera_id));
        }
        loop {
            let ids = a.db.camera_recording_ids(&camera_id, 1000)?;
            if ids.is_empty() {
                break;
            }
            a.reclaimer.delete(&ids)?;
        }
        a.db.set_archive_retention(&camera_id, None)?;
        Ok(())
    })
    .await?;
    Ok(StatusBody::new("deleted"))
}

#[utoipa::path(delete, path = "/api/archives/{camera_id}/recordings/{recording_id}", operation_id = "deleteArchiveRecording", tag = "archives",
    security(("basic" = [])),
    params(("camera_id" = String, Path, description = "Camera id of the group"),
           ("recording_id" = String, Path, description = "Recording id")),
    responses(
        (status = 200, body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_ARCHIVE, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn delete_recording(
    State(app): State<AppState>,
    ApiPath((camera_id, recording_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<StatusBody>> {
    let missing = || {
        ApiError::new(
            ErrorCode::RecordingNotFound,
            format!("recording not found in archive {camera_id}: {recording_id}"),
        )
    };
    let id: u64 = recording_id.parse().map_err(|_| missing())?;
    match app.db.recording(id)? {
        Some(r) if r.camera_id == camera_id => {}
        _ => return Err(missing()),
    }
    crate::api::recordings::delete_ids(&app, vec![id]).await?;
    Ok(StatusBody::new("deleted"))
}

#[utoipa::path(put, path = "/api/archives/{camera_id}/retention", operation_id = "putArchiveRetention", tag = "archives",
    security(("basic" = [])), params(("camera_id" = String, Path, description = "Camera id of the group")),
    request_body = RetentionBody,
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_ARCHIVE, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn put_retention(
    State(app): State<AppState>,
    ApiPath(camera_id): ApiPath<String>,
    ApiJson(body): ApiJson<RetentionBody>,
) -> ApiResult<Json<StatusBody>> {
    if !(1..=3650).contains(&body.retention_days) {
        return Err(ApiError::invalid("retention_days: 1..=3650"));
    }
    let days = body.retention_days as u32;
    if app.config.get().camera(&camera_id).is_some() {
        app.config
            .update(|cfg| {
                let cam = cfg
                    .camera_mut(&camera_id)
                    .ok_or_else(|| archive_not_found(&camera_id))?;
                cam.retention_days = Some(days);
                Ok(())
            })
            .await?;
    } else {
        let a = app.clone();
        let id = camera_id.clone();
        blocking(move || {
            if !group_exists(&a, &id)? {
                return Err(archive_not_found(&id));
            }
            a.db.set_archive_retention(&id, Some(days))?;
            Ok(())
        })
        .await?;
        // The config did not change, so the cleanup task does not wake: apply it now.
        let lifecycle = app.lifecycle.clone();
        tokio::spawn(async move { crate::storage::lifecycle::run_cleanup(&lifecycle).await });
    }
    Ok(StatusBody::new("updated"))
}
