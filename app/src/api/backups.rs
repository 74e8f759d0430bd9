//! Backups: `POST /api/backup`, `GET /api/backups`, and beyond the spec
//! `GET /api/backups/{id}/download`, `POST /api/backups` (upload an archive, e.g. after
//! reflashing a card), and `POST /api/backups/{id}/restore`: the archive is validated in a
//! staging dir first (refused with nothing changed), then recording stops, the database and
//! the config are swapped in, the index is reconciled with the disk, and recording restarts
//! on the restored config.

use crate::api::openapi::{ERR_401, ERR_429};
use crate::backup::{BackupError, BackupInfo};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

const ERR_404_BACKUP: &str = "NOT_FOUND: no such backup";
/// Largest archive accepted by upload.
pub const MAX_UPLOAD_BYTES: usize = 512 << 20;

impl From<BackupError> for ApiError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Invalid(m) => {
                ApiError::invalid(format!("not a valid MiBee NVR backup: {m}"))
            }
            BackupError::NotFound(id) => {
                ApiError::new(ErrorCode::NotFound, format!("backup not found: {id}"))
            }
            BackupError::Io(e) => ApiError::io("backup", &e),
            BackupError::Db(e) => e.into(),
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> ApiResult<T> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)??)
}

#[utoipa::path(post, path = "/api/backup", operation_id = "createBackup", tag = "backup",
    security(("basic" = [])),
    responses(
        (status = 200, body = BackupInfo),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 507, description = "STORAGE_FULL", body = ErrorBody),
    ))]
pub async fn create(State(app): State<AppState>) -> ApiResult<Json<BackupInfo>> {
    app.index.flush().await;
    let (db, dir) = (app.db.clone(), app.config.data_dir().to_path_buf());
    let text = app.config.get().to_toml();
    blocking(move || crate::backup::create(&db, &text, &dir))
        .await
        .map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupList {
    /// Newest first.
    pub backups: Vec<BackupInfo>,
}

#[utoipa::path(get, path = "/api/backups", operation_id = "listBackups", tag = "backup",
    security(("basic" = [])),
    responses(
        (status = 200, body = BackupList),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn list(State(app): State<AppState>) -> Json<BackupList> {
    Json(BackupList {
        backups: crate::backup::list(app.config.data_dir()),
    })
}

#[utoipa::path(get, path = "/api/backups/{backup_id}/download", operation_id = "downloadBackup", tag = "backup",
    security(("basic" = [])), params(("backup_id" = String, Path, description = "Backup id")),
    responses(
        (status = 200, description = "The archive (application/gzip)", content_type = "application/gzip", body = Vec<u8>),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_BACKUP, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn download(
    State(app): State<AppState>,
    crate::api::json::ApiPath(id): crate::api::json::ApiPath<String>,
) -> ApiResult<Response> {
    let path = crate::backup::path_of(app.config.data_dir(), &id)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::io("backup", &e))?;
    let len = file
        .metadata()
        .await
        .map_err(|e| ApiError::io("backup", &e))?
        .len();
    let stream = tokio_util_stream(file);
    let mut resp = Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"mibee-nvr-{id}.tar.gz\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// The file as a stream of chunks.
fn tokio_util_stream(file: tokio::fs::File) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
    use tokio::io::AsyncReadExt;
    futures::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 << 10];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

#[utoipa::path(post, path = "/api/backups", operation_id = "uploadBackup", tag = "backup",
    security(("basic" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A backup archive (.tar.gz) from POST /api/backup; any content type is accepted"),
    responses(
        (status = 200, body = BackupInfo),
        (status = 400, description = "INVALID_INPUT: not a valid backup", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 507, description = "STORAGE_FULL", body = ErrorBody),
    ))]
pub async fn upload(
    State(app): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<BackupInfo>> {
    // A malformed (e.g. badly chunked) or too large body answers in our JSON, as every error.
    let body = body.map_err(|rej| ApiError::invalid(format!("the upload: {}", rej.body_text())))?;
    let dir = app.config.data_dir().to_path_buf();
    blocking(move || crate::backup::import(&body, &dir))
        .await
        .map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Restored {
    /// `restored`.
    pub status: String,
    /// The restored config names another storage root or listen address: restart to use it.
    pub restart_required: bool,
    /// Recordings in the backup whose video was deleted since (dropped from the index).
    pub recordings_dropped: u64,
    /// Media files recorded since the backup, indexed again.
    pub files_adopted: u64,
}

#[utoipa::path(post, path = "/api/backups/{backup_id}/restore", operation_id = "restoreBackup", tag = "backup",
    security(("basic" = [])), params(("backup_id" = String, Path, description = "Backup id")),
    responses(
        (status = 200, body = Restored),
        (status = 400, description = "INVALID_INPUT: not a valid backup (nothing changed)", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_BACKUP, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn restore(
    State(app): State<AppState>,
    crate::api::json::ApiPath(id): crate::api::json::ApiPath<String>,
) -> ApiResult<Json<Restored>> {
    let dir = app.config.data_dir().to_path_buf();
    let path = crate::backup::path_of(&dir, &id)?;
    let staged = blocking(move || crate::backup::stage(&path, &dir)).await?;
    let _one_at_a_time = app.restore_lock.lock().await;
    let old = app.config.get();
    app.pipelines.shutdown().await;
    app.index.flush().await;
    let db = app.db.clone();
    let db_path = staged.db_path.clone();
    let swapped = tokio::task::spawn_blocking(move || db.replace_with(&db_path))
        .await
        .map_err(ApiError::internal)?;
    if let Err(e) = swapped {
        app.pipelines.sync(&old);
        return Err(e.into());
    }
    let new = staged.config.clone();
    let restart_required = app.restart_required(&new);
    if let Err(e) = app.config.replace(new).await {
        app.pipelines.sync(&old);
        return Err(e);
    }
    let (db, root, reclaimer) = (app.db.clone(), app.storage_root(), app.reclaimer.clone());
    let segment_ns = app.config.get().storage.segment_ns();
    let report = tokio::task::spawn_blocking(move || {
        crate::storage::orphans::reconcile_after_restore(
            &db,
            &root,
            segment_ns,
            reclaimer.io_lock(),
        )
    })
    .await
    .map_err(ApiError::internal)??;
    app.pipelines.sync(&app.config.get());
    tracing::info!(backup = %id, dropped = report.dropped_recordings, adopted = report.adopted_files, "restored a backup");
    Ok(Json(Restored {
        status: "restored".into(),
        restart_required,
        recordings_dropped: report.dropped_recordings,
        files_adopted: report.adopted_files,
    }))
}
