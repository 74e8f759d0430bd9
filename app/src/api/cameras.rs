//! Camera management: `GET|POST /api/cameras`, `GET|PUT|DELETE /api/cameras/{id}`. Cameras
//! live in the config file; every change brings the running pipelines in line
//! (`Pipelines::sync`), and a deleted camera's recordings stay as its archive group. A
//! camera's `status`, `status_reason`, `last_seen` and `recording_since` come from its
//! pipeline when one runs; otherwise it is `disabled` (not enabled) or `stopped` (stopped
//! through the API, or a URL this daemon cannot record, with a reason saying so). Passwords
//! never leave the box: `has_password` says whether one is set, and a password inside a URL
//! is shown as `***`, which a `PUT` turns back into the stored one.

use crate::api::json::{ApiJson, ApiPath, StatusBody};
use crate::api::openapi::{ERR_400, ERR_401, ERR_404, ERR_409, ERR_429};
use crate::config::{
    CameraConfig, CameraPatch, Config, Encoding, MergeOverride, Protocol, RtspTransport, slugify,
};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CameraStatus {
    Recording,
    Connecting,
    Reconnecting,
    Stopped,
    Disabled,
    Error,
}

/// A camera as the API shows it (the password never leaves the box).
#[derive(Debug, Serialize, ToSchema)]
pub struct CameraView {
    pub id: String,
    pub name: String,
    pub protocol: Protocol,
    pub encoding: Encoding,
    pub url: String,
    pub enabled: bool,
    pub status: CameraStatus,
    /// Why the camera is in `error` or `reconnecting` (empty otherwise).
    pub status_reason: String,
    /// Time of the last media packet received, RFC 3339; null before the first one.
    pub last_seen: Option<String>,
    /// Beyond the reference: since when the camera has been recording without a break (null
    /// while not recording); the segment still being written is not listed until it closes.
    pub recording_since: Option<String>,
    /// Effective retention: the camera's own, else the global `cleanup.retention_days`.
    pub retention_days: u32,
    /// True when `retention_days` is the camera's own setting.
    pub retention_custom: bool,
    pub username: String,
    pub has_password: bool,
    pub sub_stream_url: String,
    pub snapshot_url: String,
    /// ONVIF media profile (token or name) recorded; empty: the first.
    pub onvif_profile: String,
    pub sample_interval: u32,
    pub hls_max_fps: u32,
    pub did: String,
    pub vendor: String,
    pub rtsp_transport: RtspTransport,
    /// Per-camera merge overrides, null when the global settings apply.
    pub merge: Option<MergeOverride>,
}

/// The camera's status and last_seen from its pipeline, if it runs.
fn runtime(
    app: &AppState,
    cam: &CameraConfig,
) -> (CameraStatus, Option<String>, String, Option<String>) {
    use crate::ingest::StatusKind;
    let Some(s) = app.pipelines.status(&cam.id) else {
        let st = if cam.enabled {
            CameraStatus::Stopped
        } else {
            CameraStatus::Disabled
        };
        let reason = if cam.enabled && !cam.recordable() {
            "this NVR cannot stream this camera's URL yet (Xiaomi P2P is not supported): set an RTSP URL, e.g. from a bridge, to record it"
        } else {
            ""
        };
        return (st, None, reason.to_string(), None);
    };
    let st = match s.kind {
        StatusKind::Connecting => CameraStatus::Connecting,
        StatusKind::Recording => CameraStatus::Recording,
        StatusKind::Reconnecting => CameraStatus::Reconnecting,
        StatusKind::Error => CameraStatus::Error,
        StatusKind::Stopped => CameraStatus::Stopped,
    };
    (
        st,
        s.last_seen_ns.map(crate::media::rfc3339_ns),
        s.reason,
        s.recording_since_ns
            .filter(|_| st == CameraStatus::Recording)
            .map(crate::media::rfc3339_ns),
    )
}

pub fn view(app: &AppState, cfg: &Config, cam: &CameraConfig) -> CameraView {
    let (status, last_seen, status_reason, recording_since) = runtime(app, cam);
    CameraView {
        id: cam.id.clone(),
        name: cam.name.clone(),
        protocol: cam.protocol,
        encoding: cam.encoding,
        url: crate::config::redact_url(&cam.url),
        enabled: cam.enabled,
        status,
        status_reason,
        last_seen,
        recording_since,
        retention_days: cam.retention_days.unwrap_or(cfg.cleanup.retention_days),
        retention_custom: cam.retention_days.is_some(),
        username: cam.username.clone(),
        has_password: !cam.password.is_empty(),
        sub_stream_url: crate::config::redact_url(&cam.sub_stream_url),
        snapshot_url: crate::config::redact_url(&cam.snapshot_url),
        onvif_profile: cam.onvif_profile.clone(),
        sample_interval: cam.sample_interval,
        hls_max_fps: cam.hls_max_fps,
        did: cam.did.clone(),
        vendor: cam.vendor.clone(),
        rtsp_transport: cam.rtsp_transport,
        merge: cam.merge.clone(),
    }
}

/// Body of `POST /api/cameras`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "Front Door", "protocol": "rtsp", "encoding": "h264",
    "url": "rtsp://192.0.2.10:554/stream", "username": "admin", "password": "secret", "enabled": true
}))]
#[serde(deny_unknown_fields)]
pub struct CameraCreate {
    /// `[a-z0-9-]{1,64}`; derived from `name` when absent.
    #[schema(pattern = r"^[a-z0-9-]{1,64}$")]
    pub id: Option<String>,
    #[schema(min_length = 1, max_length = 128)]
    pub name: String,
    /// Default `rtsp`.
    pub protocol: Option<Protocol>,
    /// Default by protocol: rtsp/onvif → h264, http → mjpeg, xiaomi → h265.
    pub encoding: Option<Encoding>,
    #[schema(pattern = r"^[A-Za-z][A-Za-z0-9+.-]*://", max_length = 2048)]
    pub url: String,
    pub enabled: Option<bool>,
    #[schema(minimum = 1, maximum = 3650)]
    pub retention_days: Option<u32>,
    #[schema(max_length = 128)]
    pub username: Option<String>,
    #[schema(max_length = 256)]
    pub password: Option<String>,
    #[schema(pattern = r"^$|^[A-Za-z][A-Za-z0-9+.-]*://", max_length = 2048)]
    pub sub_stream_url: Option<String>,
    #[schema(pattern = r"^$|^[A-Za-z][A-Za-z0-9+.-]*://", max_length = 2048)]
    pub snapshot_url: Option<String>,
    #[schema(max_length = 64)]
    pub onvif_profile: Option<String>,
    #[schema(minimum = 1, maximum = 86400)]
    pub sample_interval: Option<u32>,
    #[schema(minimum = 0, maximum = 120)]
    pub hls_max_fps: Option<u32>,
    #[schema(max_length = 128)]
    pub did: Option<String>,
    #[schema(max_length = 128)]
    pub vendor: Option<String>,
    pub rtsp_transport: Option<RtspTransport>,
}

impl CameraCreate {
    fn into_config(self, id: String) -> CameraConfig {
        let protocol = self.protocol.unwrap_or(Protocol::Rtsp);
        let encoding = self.encoding.unwrap_or(protocol.default_encoding());
        let mut cam = CameraConfig::new(&id, &self.name, protocol, encoding, &self.url);
        let set = |dst: &mut String, v: Option<String>| *dst = v.unwrap_or_default();
        set(&mut cam.username, self.username);
        set(&mut cam.password, self.password);
        set(&mut cam.sub_stream_url, self.sub_stream_url);
        set(&mut cam.snapshot_url, self.snapshot_url);
        set(&mut cam.onvif_profile, self.onvif_profile);
        set(&mut cam.did, self.did);
        set(&mut cam.vendor, self.vendor);
        cam.enabled = self.enabled.unwrap_or(true);
        cam.retention_days = self.retention_days;
        cam.sample_interval = self.sample_interval.unwrap_or(1);
        cam.hls_max_fps = self.hls_max_fps.unwrap_or(0);
        cam.rtsp_transport = self.rtsp_transport.unwrap_or_default();
        cam
    }
}

/// Rewrites `cameras[N].field: msg` into `field: msg` for the API's error message.
fn camera_error(e: ApiError) -> ApiError {
    if e.code != ErrorCode::InvalidInput {
        return e;
    }
    let msg = e.message.trim_start_matches("invalid input: ");
    let msg = match msg.strip_prefix("cameras[") {
        Some(rest) => rest.split_once("].").map_or(msg, |(_, tail)| tail),
        None => msg,
    };
    ApiError::invalid(msg)
}

#[utoipa::path(get, path = "/api/cameras", operation_id = "listCameras", tag = "cameras", security(("basic" = [])),
    responses(
        (status = 200, body = Vec<CameraView>),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn list(State(app): State<AppState>) -> Json<Vec<CameraView>> {
    let cfg = app.config.get();
    Json(cfg.cameras.iter().map(|c| view(&app, &cfg, c)).collect())
}

#[utoipa::path(post, path = "/api/cameras", operation_id = "createCamera", tag = "cameras", security(("basic" = [])),
    request_body = CameraCreate,
    responses(
        (status = 201, body = CameraView),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 409, description = ERR_409, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn create(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<CameraCreate>,
) -> ApiResult<(StatusCode, Json<CameraView>)> {
    let id = app
        .config
        .update(|cfg| {
            let id = match &body.id {
                Some(id) => {
                    if !crate::config::valid_camera_id(id) {
                        return Err(ApiError::invalid(
                            "id: must be 1-64 characters of [a-z0-9-]",
                        ));
                    }
                    if cfg.camera(id).is_some() {
                        return Err(ApiError::new(
                            ErrorCode::CameraAlreadyExists,
                            format!("camera already exists: {id}"),
                        ));
                    }
                    id.clone()
                }
                None => {
                    let base = slugify(&body.name);
                    let mut id = base.clone();
                    let mut n = 2;
                    while cfg.camera(&id).is_some() {
                        id = format!("{base}-{n}");
                        n += 1;
                    }
                    id
                }
            };
            let cam = CameraCreate { id: None, ..body }.into_config(id.clone());
            cfg.cameras.push(cam);
            Ok(id)
        })
        .await
        .map_err(camera_error)?;
    let cfg = app.config.get();
    app.pipelines.sync(&cfg);
    let cam = cfg
        .camera(&id)
        .ok_or_else(|| ApiError::internal("camera vanished"))?;
    tracing::info!(camera = %id, "camera added");
    Ok((StatusCode::CREATED, Json(view(&app, &cfg, cam))))
}

#[utoipa::path(get, path = "/api/cameras/{id}", operation_id = "getCamera", tag = "cameras", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = CameraView),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn get_one(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CameraView>> {
    let cfg = app.config.get();
    let cam = cfg
        .camera(&id)
        .ok_or_else(|| ApiError::camera_not_found(&id))?;
    Ok(Json(view(&app, &cfg, cam)))
}

#[utoipa::path(put, path = "/api/cameras/{id}", operation_id = "updateCamera", tag = "cameras", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id")),
    request_body = CameraPatch,
    responses(
        (status = 200, body = CameraView),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn update(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(mut patch): ApiJson<CameraPatch>,
) -> ApiResult<Json<CameraView>> {
    app.config
        .update(|cfg| {
            let cam = cfg
                .camera_mut(&id)
                .ok_or_else(|| ApiError::camera_not_found(&id))?;
            // URLs come back from clients as the API showed them: with `***` for a password.
            use crate::config::unredact_url;
            for (new, stored) in [
                (&mut patch.url, &cam.url),
                (&mut patch.sub_stream_url, &cam.sub_stream_url),
                (&mut patch.snapshot_url, &cam.snapshot_url),
            ] {
                if let Some(n) = new.as_mut() {
                    *n = unredact_url(n, stored);
                }
            }
            patch.apply(cam);
            Ok(())
        })
        .await
        .map_err(camera_error)?;
    let cfg = app.config.get();
    app.pipelines.sync(&cfg);
    let cam = cfg
        .camera(&id)
        .ok_or_else(|| ApiError::camera_not_found(&id))?;
    Ok(Json(view(&app, &cfg, cam)))
}

#[utoipa::path(delete, path = "/api/cameras/{id}", operation_id = "deleteCamera", tag = "cameras", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, description = "Removed; its recordings stay as an archive group", body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn delete(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    app.config
        .update(|cfg| {
            let before = cfg.cameras.len();
            cfg.cameras.retain(|c| c.id != id);
            if cfg.cameras.len() == before {
                return Err(ApiError::camera_not_found(&id));
            }
            Ok(())
        })
        .await?;
    app.pipelines.sync(&app.config.get());
    tracing::info!(camera = %id, "camera deleted");
    Ok(StatusBody::new("deleted"))
}
