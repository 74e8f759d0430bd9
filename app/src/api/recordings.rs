//! Recordings: list with filters and pagination, get, delete (index entry removed, its bytes
//! released by punching a hole), batch delete, and download as a standalone seekable MP4
//! with Range, ETag and Content-Disposition.

use crate::api::json::ApiPath;
use crate::api::json::{ApiJson, StatusBody};
use crate::api::openapi::{ERR_400, ERR_401, ERR_429};
use crate::db::{RecordingFilter, RecordingRow};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::media::rfc3339_ns;
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

pub const ERR_404_REC: &str = "RECORDING_NOT_FOUND";
const MAX_LIMIT: u64 = 1000;
const MAX_OFFSET: u64 = 1_000_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingView {
    /// Opaque decimal id (the start time in Unix nanoseconds).
    pub id: String,
    pub camera_id: String,
    /// The media file holding this recording's fragments (shared with its neighbours).
    pub file_path: String,
    pub format: String,
    pub started_at: String,
    pub ended_at: String,
    /// Seconds.
    pub duration: f64,
    /// Bytes of this recording's fragments.
    pub file_size: u64,
    pub frame_count: u64,
    pub merged: bool,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingList {
    pub recordings: Vec<RecordingView>,
    /// Count of all matches (not only this page).
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub camera_id: Option<String>,
    /// h264, h265 or mjpeg.
    pub format: Option<String>,
    pub merged: Option<bool>,
    /// RFC 3339: recordings ending after this time.
    pub start: Option<String>,
    /// RFC 3339: recordings starting before this time.
    pub end: Option<String>,
    /// 1-1000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// 0-1000000000.
    #[param(minimum = 0, maximum = 1000000000)]
    pub offset: Option<u64>,
}

/// An RFC 3339 time as Unix ns; a time outside what i64 ns hold (before 1677 or after
/// 2262) is refused, never wrapped.
fn parse_time(field: &str, s: &str) -> ApiResult<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| ApiError::invalid(format!("{field}: not an RFC 3339 time ({e})")))?;
    i64::try_from(t.unix_timestamp_nanos()).map_err(|_| {
        ApiError::invalid(format!(
            "{field}: {s} is out of range (1677-09-21 to 2262-04-11)"
        ))
    })
}

/// Media file paths by file id: consecutive recordings share a file, so a page of 50
/// looks each file up once.
pub type FilePaths = std::collections::HashMap<u64, String>;

pub fn view(app: &AppState, id: u64, r: &RecordingRow, paths: &mut FilePaths) -> RecordingView {
    let path = paths
        .entry(r.file_id)
        .or_insert_with(|| {
            app.db
                .file(r.file_id)
                .ok()
                .flatten()
                .map(|f| app.storage_root().join(f.rel_path).display().to_string())
                .unwrap_or_default()
        })
        .clone();
    RecordingView {
        id: id.to_string(),
        camera_id: r.camera_id.clone(),
        file_path: path,
        format: r.format.clone(),
        started_at: rfc3339_ns(r.start_wall_ns),
        ended_at: rfc3339_ns(r.end_wall_ns()),
        duration: r.duration_ns as f64 / 1e9,
        file_size: r.size_bytes(),
        frame_count: r.frame_count,
        merged: r.merged,
        width: r.width,
        height: r.height,
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::RecordingNotFound,
        format!("recording not found: {id}"),
    )
}

/// A recording id as the API writes it (decimal digits, no sign, no leading zero): any
/// other spelling names no recording.
pub(crate) fn canonical_id(id: &str) -> Option<u64> {
    id.parse::<u64>().ok().filter(|n| n.to_string() == id)
}

pub(crate) fn parse_id(id: &str) -> ApiResult<u64> {
    canonical_id(id).ok_or_else(|| not_found(id))
}

#[utoipa::path(get, path = "/api/recordings", operation_id = "listRecordings", tag = "recordings",
    security(("basic" = [])), params(ListQuery),
    responses(
        (status = 200, body = RecordingList),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<AppState>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<RecordingList>> {
    let Query(q) = q.map_err(|e| ApiError::invalid(e.body_text()))?;
    if let Some(f) = &q.format
        && !["h264", "h265", "mjpeg"].contains(&f.as_str())
    {
        return Err(ApiError::invalid("format: one of h264, h265, mjpeg"));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!("limit: 1..={MAX_LIMIT}")));
    }
    let filter = RecordingFilter {
        camera_id: q.camera_id,
        format: q.format,
        merged: q.merged,
        start_ns: q
            .start
            .as_deref()
            .map(|s| parse_time("start", s))
            .transpose()?,
        end_ns: q.end.as_deref().map(|s| parse_time("end", s)).transpose()?,
    };
    let offset = q.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(ApiError::invalid(format!("offset: 0..={MAX_OFFSET}")));
    }
    let db = app.db.clone();
    let (rows, total) =
        tokio::task::spawn_blocking(move || db.list_recordings(&filter, offset, limit))
            .await
            .map_err(ApiError::internal)??;
    let mut paths = FilePaths::new();
    let recordings = rows
        .iter()
        .map(|(id, r)| view(&app, *id, r, &mut paths))
        .collect();
    Ok(Json(RecordingList { recordings, total }))
}

#[utoipa::path(get, path = "/api/recordings/{id}", operation_id = "getRecording", tag = "recordings",
    security(("basic" = [])), params(("id" = String, Path, description = "Recording id")),
    responses(
        (status = 200, body = RecordingView),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_REC, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RecordingView>> {
    let n = parse_id(&id)?;
    let r = app.db.recording(n)?.ok_or_else(|| not_found(&id))?;
    Ok(Json(view(&app, n, &r, &mut FilePaths::new())))
}

/// Removes recordings from the index, then frees their bytes on disk.
pub(crate) async fn delete_ids(app: &AppState, ids: Vec<u64>) -> ApiResult<Vec<u64>> {
    let reclaimer = app.reclaimer.clone();
    tokio::task::spawn_blocking(move || -> ApiResult<Vec<u64>> {
        let removed = reclaimer.delete(&ids)?;
        Ok(removed.into_iter().map(|(id, _)| id).collect())
    })
    .await
    .map_err(ApiError::internal)?
}

#[utoipa::path(delete, path = "/api/recordings/{id}", operation_id = "deleteRecording", tag = "recordings",
    security(("basic" = [])), params(("id" = String, Path, description = "Recording id")),
    responses(
        (status = 200, body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_REC, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn delete(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    let n = parse_id(&id)?;
    if delete_ids(&app, vec![n]).await?.is_empty() {
        return Err(not_found(&id));
    }
    Ok(StatusBody::new("deleted"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchDelete {
    /// At most 1000 ids.
    #[schema(max_items = 1000)]
    pub recording_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDeleted {
    pub deleted: u64,
    /// Ids that did not exist.
    pub failed: u64,
}

#[utoipa::path(post, path = "/api/recordings/batch-delete", operation_id = "batchDeleteRecordings", tag = "recordings",
    security(("basic" = [])), request_body = BatchDelete,
    responses(
        (status = 200, body = BatchDeleted),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn batch_delete(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<BatchDelete>,
) -> ApiResult<Json<BatchDeleted>> {
    if body.recording_ids.len() > 1000 {
        return Err(ApiError::invalid("recording_ids: at most 1000"));
    }
    let ids: Vec<u64> = body
        .recording_ids
        .iter()
        .filter_map(|s| canonical_id(s))
        .collect();
    let deleted = delete_ids(&app, ids).await?.len() as u64;
    Ok(Json(BatchDeleted {
        deleted,
        failed: body.recording_ids.len() as u64 - deleted,
    }))
}

/// What a `Range` header asks of a body of `len` bytes (RFC 9110 §14).
#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// No range, or one this server ignores (unparsable, not bytes, several ranges): the
    /// whole body, 200.
    Whole,
    /// Bytes `start..end` (end exclusive), 206.
    Part(u64, u64),
    /// A valid range that no byte of the body satisfies, 416.
    Unsatisfiable,
}

fn parse_range(h: &HeaderMap, len: u64) -> RangeAsk {
    let Some(spec) = h
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole; // several ranges: answer with the whole body
    }
    let digits = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().unwrap_or(u64::MAX))
    };
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (start, end) = match (a, b) {
        ("", suffix) => match digits(suffix) {
            None => return RangeAsk::Whole,
            Some(0) => return RangeAsk::Unsatisfiable,
            Some(n) => (len.saturating_sub(n), len),
        },
        (a, "") => match digits(a) {
            None => return RangeAsk::Whole,
            Some(a) => (a, len),
        },
        (a, b) => match (digits(a), digits(b)) {
            // last < first is invalid syntax (ignored), not unsatisfiable.
            (Some(a), Some(b)) if b >= a => (a, b.saturating_add(1).min(len)),
            _ => return RangeAsk::Whole,
        },
    };
    if start >= len {
        return RangeAsk::Unsatisfiable;
    }
    RangeAsk::Part(start, end)
}

/// `download` query: `frame` picks one frame of an MJPEG recording.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    /// MJPEG only: this frame (0-based) as image/jpeg.
    pub frame: Option<u64>,
}

#[utoipa::path(get, path = "/api/recordings/{id}/download", operation_id = "downloadRecording", tag = "recordings",
    security(("basic" = [])), params(("id" = String, Path, description = "Recording id"), DownloadQuery),
    responses(
        (status = 200, description = "The recording as MP4", content_type = "video/mp4", body = Vec<u8>),
        (status = 206, description = "A byte range of it", content_type = "video/mp4", body = Vec<u8>),
        (status = 400, description = "frame on a recording that is not MJPEG, or a bad query", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404_REC, body = ErrorBody),
        (status = 416, description = "RANGE_NOT_SATISFIABLE (with `Content-Range: bytes */length`)", body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn download(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    query: Result<Query<DownloadQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    if let Some(frame) = query.frame {
        return crate::api::frames::download_frame(&app, &id, frame).await;
    }
    let n = parse_id(&id)?;
    let rec = app.db.recording(n)?.ok_or_else(|| not_found(&id))?;
    let file_row = app
        .db
        .file(rec.file_id)?
        .ok_or_else(|| ApiError::internal("recording without file"))?;
    let root = app.storage_root();
    let rec2 = rec.clone();
    let plan = tokio::task::spawn_blocking(move || {
        crate::storage::download::plan(&root, &file_row, &rec2)
    })
    .await
    .map_err(ApiError::internal)?;
    let plan = match plan {
        Ok(p) => p,
        // Deleted between the lookup and the planning: gone, not broken.
        Err(_) if app.db.recording(n)?.is_none() => return Err(not_found(&id)),
        Err(e) => return Err(ApiError::internal(format!("reading recording {id}: {e}"))),
    };
    let etag = format!(
        "\"{}-{}-{}-{}\"",
        n, rec.file_id, rec.byte_start, rec.byte_end
    );
    let filename = format!(
        "{}-{}.mp4",
        rec.camera_id,
        crate::media::compact_stamp(rec.start_wall_ns)
    );
    let mut resp_headers = HeaderMap::new();
    resp_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    resp_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    resp_headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
    );
    resp_headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            .map_err(ApiError::internal)?,
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, resp_headers).into_response());
    }
    let len = plan.len;
    let (status, start, end) = match parse_range(&headers, len) {
        RangeAsk::Whole => (StatusCode::OK, 0, len),
        RangeAsk::Part(s, e) => {
            resp_headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes {s}-{}/{len}", e - 1))
                    .map_err(ApiError::internal)?,
            );
            (StatusCode::PARTIAL_CONTENT, s, e)
        }
        RangeAsk::Unsatisfiable => {
            return Err(ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                format!("range not satisfiable: the recording has {len} bytes"),
            )
            .with_header(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).map_err(ApiError::internal)?,
            ));
        }
    };
    resp_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    let plan = std::sync::Arc::new(plan);
    let db = app.db.clone();
    let (file_id, byte_start, byte_end) = (rec.file_id, rec.byte_start, rec.byte_end);
    const CHUNK: u64 = 256 << 10;
    let stream = futures::stream::unfold(start, move |pos| {
        let (plan, db) = (plan.clone(), db.clone());
        async move {
            if pos >= end {
                return None;
            }
            let to = (pos + CHUNK).min(end);
            let chunk = tokio::task::spawn_blocking(move || {
                let bytes = crate::storage::download::read_range(&plan, pos, to)?;
                // Deleting a recording commits its rows before it frees the bytes: if the
                // recording still owns them after the read, the read saw real data, never a
                // punched hole. If it was deleted meanwhile, the response ends with an error.
                if !db
                    .recording_covers(file_id, byte_start, byte_end)
                    .map_err(std::io::Error::other)?
                {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "the recording was deleted during the download",
                    ));
                }
                Ok(bytes)
            })
            .await
            .map_err(std::io::Error::other)
            .and_then(|r| r);
            match chunk {
                Ok(b) => Some((Ok(bytes::Bytes::from(b)), to)),
                // The stream ends after an error (the client sees a truncated body).
                Err(e) => Some((Err(e), end)),
            }
        }
    });
    Ok((status, resp_headers, Body::from_stream(stream)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(range: &str, len: u64) -> RangeAsk {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        parse_range(&h, len)
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(ask("bytes=0-9", 100), RangeAsk::Part(0, 10));
        assert_eq!(ask("bytes=90-", 100), RangeAsk::Part(90, 100));
        assert_eq!(ask("bytes=-10", 100), RangeAsk::Part(90, 100));
        assert_eq!(ask("bytes=-1000", 100), RangeAsk::Part(0, 100));
        assert_eq!(ask("bytes=50-1000", 100), RangeAsk::Part(50, 100));
        // Valid but past the end: 416.
        assert_eq!(ask("bytes=999999999-", 100), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=100-200", 100), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=-0", 100), RangeAsk::Unsatisfiable);
        // Unparsable, other units, several ranges: ignored (the whole body).
        for bad in [
            "bytes=abc",
            "bytes=5-3",
            "bytes=+1-2",
            "bytes=1-2-3",
            "bytes=",
            "bytes=-",
            "items=0-1",
            "bytes=0-1,4-5",
            "bytes= x-",
        ] {
            assert_eq!(ask(bad, 100), RangeAsk::Whole, "{bad}");
        }
        assert_eq!(parse_range(&HeaderMap::new(), 100), RangeAsk::Whole);
    }

    #[test]
    fn only_canonical_ids_name_a_recording() {
        assert_eq!(canonical_id("1796"), Some(1796));
        assert_eq!(canonical_id("0"), Some(0));
        for bad in [
            "+1796",
            "01796",
            " 1796",
            "1796 ",
            "-1",
            "",
            "1e3",
            "18446744073709551616",
        ] {
            assert_eq!(canonical_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_outside_i64_nanoseconds_are_refused_not_wrapped() {
        assert_eq!(
            parse_time("start", "1970-01-01T00:00:01Z").unwrap(),
            1_000_000_000
        );
        assert!(parse_time("start", "2262-04-11T00:00:00Z").is_ok());
        for t in [
            "2300-01-01T00:00:00Z",
            "1600-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            let e = parse_time("start", t).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{t}");
            assert!(e.message.contains("out of range"), "{}", e.message);
        }
    }
}
