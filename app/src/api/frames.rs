//! MJPEG recordings frame by frame: `GET /api/recordings/:id/frames` lists them and
//! `GET /api/recordings/:id/download?frame=N` returns one as `image/jpeg`.

use crate::api::json::ApiPath;
use crate::api::openapi::{ERR_401, ERR_429};
use crate::db::RecordingRow;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use crate::storage::frames::{self, FrameRef};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameView {
    pub index: u64,
    /// `<camera>_<recording id>_<index, 4 digits>.jpg`.
    pub filename: String,
    /// Bytes of the JPEG.
    pub size: u64,
    /// From the recording's start, milliseconds (beyond the reference).
    pub offset_ms: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameList {
    pub frames: Vec<FrameView>,
}

/// The MJPEG recording `id`, its open media file and its frames.
async fn load(app: &AppState, id: &str) -> ApiResult<(RecordingRow, std::fs::File, Vec<FrameRef>)> {
    let not_found = || {
        ApiError::new(
            ErrorCode::RecordingNotFound,
            format!("recording not found: {id}"),
        )
    };
    let n = crate::api::recordings::canonical_id(id).ok_or_else(not_found)?;
    let rec = app.db.recording(n)?.ok_or_else(not_found)?;
    if rec.format != "mjpeg" {
        return Err(ApiError::invalid(format!(
            "recording {id} is {}: frames exist for MJPEG recordings only",
            rec.format
        )));
    }
    let file_row = app
        .db
        .file(rec.file_id)?
        .ok_or_else(|| ApiError::internal("recording without file"))?;
    let root = app.storage_root();
    let (r2, f2) = (rec.clone(), file_row.clone());
    let listed = tokio::task::spawn_blocking(move || frames::list(&root, &f2, &r2))
        .await
        .map_err(ApiError::internal)?;
    match listed {
        Ok((file, list)) => Ok((rec, file, list)),
        // Deleted between the lookup and the walk: gone, not broken.
        Err(_) if app.db.recording(n)?.is_none() => Err(not_found()),
        Err(e) => Err(ApiError::internal(format!("reading recording {id}: {e}"))),
    }
}

#[utoipa::path(get, path = "/api/recordings/{id}/frames", operation_id = "listRecordingFrames",
    tag = "recordings", security(("basic" = [])),
    params(("id" = String, Path, description = "Recording id")),
    responses(
        (status = 200, body = FrameList),
        (status = 400, description = "not an MJPEG recording", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = "RECORDING_NOT_FOUND", body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<FrameList>> {
    let (rec, _, list) = load(&app, &id).await?;
    Ok(Json(FrameList {
        frames: list
            .iter()
            .enumerate()
            .map(|(i, f)| FrameView {
                index: i as u64,
                filename: format!("{}_{id}_{i:04}.jpg", rec.camera_id),
                size: f.size as u64,
                offset_ms: f.offset_90k / 90,
            })
            .collect(),
    }))
}

/// `download?frame=N`.
pub async fn download_frame(app: &AppState, id: &str, index: u64) -> ApiResult<Response> {
    let (rec, file, list) = load(app, id).await?;
    let frame = *list.get(index as usize).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!(
                "recording {id} has {} frames; there is no frame {index}",
                list.len()
            ),
        )
    })?;
    let jpeg = tokio::task::spawn_blocking(move || frames::read(&file, &frame))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("reading frame {index} of {id}: {e}")))?;
    // Deleting commits the rows before freeing the bytes: a recording that still owns them
    // after the read was read whole, never from a punched hole.
    if !app
        .db
        .recording_covers(rec.file_id, rec.byte_start, rec.byte_end)?
    {
        return Err(ApiError::new(
            ErrorCode::RecordingNotFound,
            format!("recording not found: {id}"),
        ));
    }
    let disposition = format!("inline; filename=\"{}_{id}_{index:04}.jpg\"", rec.camera_id);
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "max-age=3600".to_string()),
        ],
        jpeg,
    )
        .into_response())
}
