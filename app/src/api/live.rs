//! Live view over HTTP: `GET /api/cameras/:id/stream/*path` (the HLS playlist, its segments,
//! parts and init segments, with LL-HLS blocking reloads) and `GET /api/cameras/:id/live`
//! (fMP4 over WebSocket). Stream paths are checked for traversal before anything else.

use crate::api::json::{ApiPath, StatusBody};
use crate::api::openapi::{ERR_401, ERR_404, ERR_429};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::live::LiveStream;
use crate::live::playlist::{self, Name};
use crate::live::snapshot::SourceFailure;
use crate::state::AppState;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long a cold playlist request waits for the first segment (a camera that reports an
/// error ends the wait at once).
const FIRST_SEGMENT_WAIT: Duration = Duration::from_secs(8);
/// How long a blocking playlist reload or a hinted part waits.
const BLOCK_WAIT: Duration = Duration::from_secs(6);

/// `..`, `.`, absolute, backslash, NUL or still-encoded dots: refused before any lookup.
pub fn check_stream_path(path: &str) -> Result<(), ApiError> {
    let lower = path.to_ascii_lowercase();
    let bad = path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || path.split('/').any(|c| c == ".." || c == ".");
    if bad {
        return Err(ApiError::new(
            ErrorCode::PathTraversal,
            format!("path traversal attempt in stream path: {path:?}"),
        ));
    }
    Ok(())
}

fn open(app: &AppState, id: &str) -> ApiResult<Arc<LiveStream>> {
    let cfg = app.config.get();
    let cam = cfg
        .camera(id)
        .ok_or_else(|| ApiError::camera_not_found(id))?;
    app.live
        .open(cam, app.pipelines.source(id), cfg.live.max_streams)
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("not in the live playlist: {what}"),
    )
}

#[utoipa::path(get, path = "/api/cameras/{id}/stream/{path}", operation_id = "cameraStream",
    tag = "live", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id", example = "front-door"),
        ("path" = String, Path, description = "stream.m3u8 (or index.m3u8), then the names it lists", example = "stream.m3u8")),
    responses(
        (status = 200, description = "Playlist (application/vnd.apple.mpegurl) or media", content_type = "application/octet-stream"),
        (status = 400, description = "PATH_TRAVERSAL, HLS_UNSUPPORTED_CODEC or CAMERA_DISABLED", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 503, description = "HLS_MAX_STREAMS, or the camera sends nothing", body = ErrorBody),
    ))]
pub async fn stream(
    State(app): State<AppState>,
    ApiPath((id, path)): ApiPath<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    check_stream_path(&path)?;
    let encoding = app
        .config
        .get()
        .camera(&id)
        .ok_or_else(|| ApiError::camera_not_found(&id))?
        .encoding;
    if encoding == crate::config::Encoding::Mjpeg && path == "stream.mjpeg" {
        return Ok(mjpeg_stream(open(&app, &id)?));
    }
    let container = crate::live::segment::Container::for_encoding(encoding);
    let name = playlist::parse_name(&path, container).ok_or_else(|| not_found(&path))?;
    let live = open(&app, &id)?;
    // MJPEG: HLS is a live H.264 transcode, started by the first HLS request.
    live.ensure_hls();
    let shared = live.shared.clone();
    match name {
        Name::Playlist => playlist_response(&id, &live, &query).await,
        Name::Init(generation) => {
            let init = shared
                .read(|w| w.init(generation))
                .ok_or_else(|| not_found(&path))?;
            Ok(media("video/mp4", init, "max-age=60"))
        }
        Name::Segment(msn) => {
            let (mime, bytes) = shared
                .read(|w| {
                    w.segment(msn)
                        .filter(|s| s.complete)
                        .map(|s| (w.container.mime(), s.bytes()))
                })
                .ok_or_else(|| not_found(&path))?;
            Ok(media(mime, bytes, "max-age=30"))
        }
        Name::Part(msn, index) => {
            // A hinted part (the next one) is waited for; anything else must exist.
            let hinted = shared.read(|w| {
                w.segments
                    .back()
                    .is_some_and(|s| s.msn == msn && !s.complete && s.parts.len() == index)
            });
            if hinted {
                shared
                    .wait_for(BLOCK_WAIT, |w| has_part(w, msn, Some(index)))
                    .await;
            }
            let (mime, bytes) = shared
                .read(|w| {
                    w.segment(msn)
                        .and_then(|s| s.parts.get(index))
                        .map(|p| (w.container.mime(), p.data.clone()))
                })
                .ok_or_else(|| not_found(&path))?;
            Ok(media(mime, bytes, "max-age=30"))
        }
    }
}

/// The playlist, once the first segment exists; with `_HLS_msn` (and `_HLS_part`), once that
/// part exists (LL-HLS blocking reload).
async fn playlist_response(
    id: &str,
    live: &LiveStream,
    query: &HashMap<String, String>,
) -> ApiResult<Response> {
    let shared = &live.shared;
    let deadline = tokio::time::Instant::now() + FIRST_SEGMENT_WAIT;
    let mut ready = false;
    while !ready && tokio::time::Instant::now() < deadline {
        ready = shared
            .wait_for(Duration::from_millis(250), |w| {
                w.complete().next().is_some()
            })
            .await;
        if !ready && (live.source_error().is_some() || live.ended()) {
            break;
        }
    }
    if !ready {
        let why = live
            .source_error()
            .or_else(|| shared.read(|w| w.ended.clone()))
            .unwrap_or_else(|| "the camera sent no video yet".into());
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            format!("live stream of {id} not ready: {why}"),
        ));
    }
    if let Some(msn) = query.get("_HLS_msn") {
        let msn: u64 = msn
            .parse()
            .map_err(|_| ApiError::invalid("_HLS_msn must be a number"))?;
        let part: Option<usize> = match query.get("_HLS_part") {
            Some(p) => Some(
                p.parse()
                    .map_err(|_| ApiError::invalid("_HLS_part must be a number"))?,
            ),
            None => None,
        };
        let last = shared.read(|w| w.segments.back().map_or(0, |s| s.msn));
        if msn > last + 2 {
            return Err(ApiError::invalid(format!(
                "_HLS_msn {msn} is too far ahead of the live edge ({last})"
            )));
        }
        shared
            .wait_for(BLOCK_WAIT, |w| has_part(w, msn, part))
            .await;
    }
    let body = shared.read(playlist::render);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

/// `multipart/x-mixed-replace` of the camera's JPEG frames, from the latest one on.
fn mjpeg_stream(live: Arc<LiveStream>) -> Response {
    let (_, gop, rx) = live.hub.subscribe();
    let replay: std::collections::VecDeque<_> = gop.into();
    let frames = futures::stream::unfold(
        (replay, rx, live),
        |(mut replay, mut rx, live)| async move {
            loop {
                let ev = match replay.pop_front() {
                    Some(ev) => ev,
                    None => match rx.recv().await {
                        Ok(ev) => ev,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    },
                };
                if let crate::media::MediaEvent::Video(f) = ev {
                    live.shared.touch();
                    let mut part = format!(
                    "--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                    f.data.len()
                )
                .into_bytes();
                    part.extend_from_slice(&f.data);
                    part.extend_from_slice(b"\r\n");
                    return Some((
                        Ok::<_, std::convert::Infallible>(bytes::Bytes::from(part)),
                        (replay, rx, live),
                    ));
                }
            }
        },
    );
    (
        [
            (
                header::CONTENT_TYPE,
                format!("multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(frames),
    )
        .into_response()
}

const MJPEG_BOUNDARY: &str = "mibeeframe";

/// Whether segment `msn` has part `part` (or, without a part, is complete), or is gone past.
fn has_part(w: &crate::live::segment::Window, msn: u64, part: Option<usize>) -> bool {
    if w.segments.back().is_some_and(|s| s.msn > msn) {
        return true;
    }
    w.segment(msn).is_some_and(|s| match part {
        Some(p) => s.parts.len() > p || s.complete,
        None => s.complete,
    })
}

fn media(mime: &'static str, bytes: bytes::Bytes, cache: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache)],
        bytes,
    )
        .into_response()
}

#[utoipa::path(delete, path = "/api/cameras/{id}/stream", operation_id = "stopCameraStream",
    tag = "live", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id", example = "front-door")),
    responses(
        (status = 200, description = "`stopped` (there was a live stream) or `not_streaming`", body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn stop_stream(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<StatusBody>> {
    app.config
        .get()
        .camera(&id)
        .ok_or_else(|| ApiError::camera_not_found(&id))?;
    Ok(StatusBody::new(if app.live.close(&id) {
        "stopped"
    } else {
        "not_streaming"
    }))
}

/// The snapshot URI of an ONVIF camera's profile (asked once per connected device).
async fn onvif_snapshot_uri(
    app: &AppState,
    cam: &crate::config::CameraConfig,
) -> ApiResult<String> {
    let dev = app.onvif.for_camera(cam).await?;
    let uri = dev
        .snapshot
        .get_or_try_init(|| async {
            let profile = dev.profile(&cam.onvif_profile).await?;
            dev.snapshot_uri(&profile.token).await
        })
        .await?;
    crate::onvif::check_host(uri)?;
    Ok(uri.clone())
}

#[utoipa::path(get, path = "/api/cameras/{id}/snapshot", operation_id = "cameraSnapshot",
    tag = "live", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id", example = "front-door")),
    responses(
        (status = 200, description = "JPEG (Cache-Control: max-age=5; X-Snapshot-Source: snapshot_url or keyframe; X-Snapshot-Stale when the camera failed and a cached copy is served)", content_type = "image/jpeg"),
        (status = 400, description = "CAMERA_DISABLED or a bad snapshot_url", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 501, description = "H.265 camera without snapshot_url", body = ErrorBody),
        (status = 502, description = "CAMERA_UNREACHABLE: no answer within the timeout", body = ErrorBody),
        (status = 503, description = "HLS_MAX_STREAMS (a camera not recording needs a live connection)", body = ErrorBody),
    ))]
pub async fn snapshot(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let cfg = app.config.get();
    let mut cam = cfg
        .camera(&id)
        .ok_or_else(|| ApiError::camera_not_found(&id))?
        .clone();
    if cam.snapshot_url.is_empty() && cam.source() == crate::config::Source::OnvifDevice {
        // The device's GetSnapshotUri; without one, a key frame of the stream.
        match onvif_snapshot_uri(&app, &cam).await {
            Ok(uri) => cam.snapshot_url = uri,
            Err(e) => tracing::debug!(camera = %id, error = %e.message, "no ONVIF snapshot URI"),
        }
    }
    let snap = app
        .snapshots
        .get(&cam, async || -> ApiResult<(_, SourceFailure)> {
            match app.pipelines.source(&id) {
                Some((hub, status)) => {
                    let failure: SourceFailure = Box::new(move || status.failure());
                    Ok((hub, failure))
                }
                None => {
                    let live = open(&app, &id)?;
                    let hub = live.hub.clone();
                    let failure: SourceFailure = Box::new(move || live.source_error());
                    Ok((hub, failure))
                }
            }
        })
        .await?;
    let mut resp = (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "max-age=5"),
        ],
        snap.jpeg,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        "x-snapshot-source",
        header::HeaderValue::from_static(snap.source),
    );
    if let Some(why) = snap.stale {
        h.insert("x-snapshot-stale", header::HeaderValue::from_static("true"));
        if let Ok(v) =
            header::HeaderValue::from_str(&format!("110 - \"stale: {}\"", why.replace('"', "'")))
        {
            h.insert(header::WARNING, v);
        }
    }
    Ok(resp)
}

#[utoipa::path(get, path = "/api/cameras/{id}/live", operation_id = "cameraLiveWebSocket",
    tag = "live", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id", example = "front-door")),
    responses(
        (status = 101, description = "WebSocket: a JSON init message, the fMP4 init segment, then one fragment per frame"),
        (status = 400, description = "HLS_UNSUPPORTED_CODEC or CAMERA_DISABLED", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 503, description = "HLS_MAX_STREAMS", body = ErrorBody),
    ))]
pub async fn websocket(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let live = open(&app, &id)?;
    let ws = ws.map_err(|_| {
        ApiError::invalid("this endpoint is a WebSocket: send an Upgrade: websocket request")
    })?;
    Ok(ws.on_upgrade(move |socket| crate::live::ws::serve(socket, live)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        for bad in [
            "../x",
            "../../etc/passwd",
            "a/../../b",
            "/etc/passwd",
            "..",
            ".",
            "a\\..\\b",
            "%2e%2e/x",
            "%2E%2e%2fetc",
            "seg\0.ts",
        ] {
            assert!(check_stream_path(bad).is_err(), "{bad}");
        }
        for ok in [
            "stream.m3u8",
            "segment_001.ts",
            "part_001_2.m4s",
            "init.mp4",
        ] {
            assert!(check_stream_path(ok).is_ok(), "{ok}");
        }
    }
}
