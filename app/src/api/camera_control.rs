//! Camera control: `POST /api/cameras/{id}/start|stop` and `POST /api/cameras/test-connection`
//! (a real connection that waits for frames: connection_probe.rs).

use super::connection_probe as probe;
use crate::api::json::{ApiJson, ApiPath, StatusBody};
use crate::api::openapi::{ERR_400, ERR_401, ERR_404, ERR_429};
use crate::config::{CameraConfig, Encoding, Protocol, RtspTransport};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How long a connection test may take.
const TEST_TIMEOUT: Duration = Duration::from_secs(10);

#[utoipa::path(post, path = "/api/cameras/{id}/start", operation_id = "startCamera", tag = "cameras",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = "CAMERA_ALREADY_RUNNING or CAMERA_DISABLED", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn start(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    let cfg = app.config.get();
    let cam = cfg
        .camera(&id)
        .ok_or_else(|| ApiError::camera_not_found(&id))?;
    if !cam.enabled {
        return Err(ApiError::new(
            ErrorCode::CameraDisabled,
            format!("camera is disabled: {id}"),
        ));
    }
    if app.pipelines.is_running(&id) {
        return Err(ApiError::new(
            ErrorCode::CameraAlreadyRunning,
            format!("camera is already running: {id}"),
        ));
    }
    if !cam.recordable() {
        return Err(ApiError::invalid(format!(
            "camera {id}: this protocol/encoding cannot be recorded yet"
        )));
    }
    if app.reclaimer.is_full() {
        return Err(ApiError::storage_full());
    }
    app.pipelines.start(&cfg, &id);
    Ok(StatusBody::new("started"))
}

#[utoipa::path(post, path = "/api/cameras/{id}/stop", operation_id = "stopCamera", tag = "cameras",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn stop(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    if app.config.get().camera(&id).is_none() {
        return Err(ApiError::camera_not_found(&id));
    }
    app.pipelines.stop(&id);
    Ok(StatusBody::new("stopped"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestConnection {
    pub protocol: Option<Protocol>,
    pub encoding: Option<Encoding>,
    #[schema(pattern = r"^[A-Za-z][A-Za-z0-9+.-]*://", max_length = 2048)]
    pub url: String,
    #[schema(max_length = 128)]
    pub username: Option<String>,
    #[schema(max_length = 256)]
    pub password: Option<String>,
    pub rtsp_transport: Option<RtspTransport>,
    /// ONVIF cameras: the profile to test (token or name; empty = the first).
    #[schema(max_length = 128)]
    pub onvif_profile: Option<String>,
    /// Testing an edit of this existing camera: its stored password is used when none is
    /// given, and a URL shown with `***` gets its stored password back.
    pub camera_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestDetails {
    pub protocol: Protocol,
    pub encoding: Encoding,
    /// Time from the request to the first frame.
    pub latency_ms: u64,
    pub frames_received: u64,
    pub codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// ONVIF cameras: the RTSP address the device gave for the profile (password masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    pub success: bool,
    pub message: String,
    pub details: TestDetails,
}

#[utoipa::path(post, path = "/api/cameras/test-connection", operation_id = "testCameraConnection", tag = "cameras",
    security(("basic" = [])), request_body = TestConnection,
    responses(
        (status = 200, description = "Tried; `success` tells the outcome", body = TestResult),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = "CAMERA_NOT_FOUND: `camera_id` names no camera", body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn test_connection(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<TestConnection>,
) -> ApiResult<Json<TestResult>> {
    let protocol = body.protocol.unwrap_or(Protocol::Rtsp);
    let encoding = body.encoding.unwrap_or(protocol.default_encoding());
    let mut cam = CameraConfig {
        username: body.username.unwrap_or_default(),
        password: body.password.unwrap_or_default(),
        rtsp_transport: body.rtsp_transport.unwrap_or_default(),
        onvif_profile: body.onvif_profile.unwrap_or_default(),
        ..CameraConfig::new("test", "test", protocol, encoding, &body.url)
    };
    if let Some(id) = &body.camera_id {
        let cfg = app.config.get();
        let stored = cfg
            .camera(id)
            .ok_or_else(|| ApiError::camera_not_found(id))?;
        if cam.password.is_empty() && (cam.username.is_empty() || cam.username == stored.username) {
            cam.username.clone_from(&stored.username);
            cam.password.clone_from(&stored.password);
        }
        cam.url = crate::config::unredact_url(&cam.url, &stored.url);
    }
    let mut probe = crate::config::Config::default();
    probe.cameras.push(cam.clone());
    crate::config::validate(&probe)
        .map_err(|e| ApiError::invalid(e.to_string().replace("cameras[0].", "")))?;
    use crate::config::Source;
    let source = cam.source();
    let testable = match source {
        Source::Rtsp | Source::OnvifDevice => true,
        Source::HttpMjpeg => cam.protocol == Protocol::Http,
        Source::Unsupported => false,
    };
    let (onvif_device, http_mjpeg) = (source == Source::OnvifDevice, source == Source::HttpMjpeg);
    if !testable {
        return Err(ApiError::invalid(
            "url: rtsp(s):// cameras, ONVIF devices and HTTP MJPEG cameras can be tested",
        ));
    }
    let mut details = TestDetails {
        protocol,
        encoding,
        latency_ms: 0,
        frames_received: 0,
        codec: None,
        width: None,
        height: None,
        stream_url: None,
    };
    let fail = |message: String, details| {
        Ok(Json(TestResult {
            success: false,
            message,
            details,
        }))
    };
    if let Err(e) = crate::ingest::check_camera_host(&cam.url) {
        return fail(e.to_string(), details);
    }
    let started = Instant::now();
    if onvif_device {
        match tokio::time::timeout(TEST_TIMEOUT, crate::ingest::onvif_source::resolve(&cam)).await {
            Ok(Ok(rtsp)) => {
                details.stream_url = Some(crate::config::redact_url(&rtsp.url));
                cam = rtsp;
            }
            Ok(Err(e)) => return fail(e.to_string(), details),
            Err(_) => {
                return fail(
                    format!(
                        "the ONVIF device did not answer within {}s",
                        TEST_TIMEOUT.as_secs()
                    ),
                    details,
                );
            }
        }
    }
    let outcome = if http_mjpeg {
        tokio::time::timeout(TEST_TIMEOUT, probe::http(&cam, &mut details, started)).await
    } else {
        tokio::time::timeout(TEST_TIMEOUT, probe::rtsp(&cam, &mut details, started)).await
    };
    let (success, message) = match outcome {
        Err(_) if details.frames_received > 0 => (true, "Connection successful".to_string()),
        Err(_) => (
            false,
            format!("no video frames within {}s", TEST_TIMEOUT.as_secs()),
        ),
        Ok(Ok(())) => (true, "Connection successful".to_string()),
        Ok(Err(e)) => (false, e.to_string()),
    };
    Ok(Json(TestResult {
        success,
        message,
        details,
    }))
}
