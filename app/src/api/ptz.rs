//! PTZ and imaging endpoints of an ONVIF camera: `ptz/move|stop|status`, `ptz/presets`
//! (list, create, goto, delete), `imaging/settings` (get, set) and `imaging/options`.

use crate::api::json::{ApiJson, ApiPath, StatusBody};
use crate::api::onvif::{ERR_ONVIF, on_device};
use crate::api::openapi::{ERR_401, ERR_404};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::onvif::device::Device;
use crate::onvif::imaging::{self, Options, Settings};
use crate::onvif::ptz::{self, MoveRequest, Preset, PtzStatus};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Runs `op` with the camera's device, PTZ address and PTZ profile token.
async fn on_ptz<T>(
    app: &AppState,
    id: &str,
    op: impl AsyncFnOnce(&Device, &str, &str) -> ApiResult<T>,
) -> ApiResult<T> {
    on_device(app, id, async |cam, dev| {
        let (url, profile) = ptz::target(dev, &cam.onvif_profile).await?;
        op(dev, &url, &profile.token).await
    })
    .await
}

/// Runs `op` with the camera's device, imaging address and video source token.
async fn on_imaging<T>(
    app: &AppState,
    id: &str,
    op: impl AsyncFnOnce(&Device, &str, &str) -> ApiResult<T>,
) -> ApiResult<T> {
    on_device(app, id, async |cam, dev| {
        let (url, source) = imaging::target(dev, &cam.onvif_profile).await?;
        op(dev, &url, &source).await
    })
    .await
}

const ERR_PTZ_400: &str = "INVALID_INPUT (a value outside the camera's range, an unknown mode or preset) or ONVIF_NOT_CAMERA";
const ERR_NO_PTZ: &str = "the camera has no PTZ";

#[utoipa::path(post, path = "/api/cameras/{id}/ptz/move", operation_id = "ptzMove", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    request_body = MoveRequest,
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = ERR_PTZ_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_PTZ, body = ErrorBody),
    ))]
pub async fn move_(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<MoveRequest>,
) -> ApiResult<Json<StatusBody>> {
    let mode = req.mode()?;
    on_ptz(&app, &id, async |dev, url, token| {
        let ranges = ptz::ranges(dev, url, mode).await;
        let current = if mode == ptz::Mode::Absolute {
            ptz::position(dev, url, token).await
        } else {
            None
        };
        let m = req.validate(ranges, current)?;
        ptz::send_move(dev, url, token, &m).await
    })
    .await?;
    Ok(StatusBody::new("moving"))
}

#[utoipa::path(post, path = "/api/cameras/{id}/ptz/stop", operation_id = "ptzStop", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_PTZ, body = ErrorBody),
    ))]
pub async fn stop(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    on_ptz(&app, &id, async |dev, url, token| {
        dev.client()
            .ptz_stop(url, token)
            .await
            .map_err(dev.fail("PTZ Stop"))
    })
    .await?;
    Ok(StatusBody::new("stopped"))
}

#[utoipa::path(get, path = "/api/cameras/{id}/ptz/status", operation_id = "ptzStatus", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = PtzStatus),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_PTZ, body = ErrorBody),
    ))]
pub async fn status(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PtzStatus>> {
    let r = on_ptz(&app, &id, async |dev, url, token| {
        ptz::status(dev, url, token).await
    })
    .await;
    Ok(Json(r?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PresetList {
    pub presets: Vec<Preset>,
}

#[utoipa::path(get, path = "/api/cameras/{id}/ptz/presets", operation_id = "ptzPresets", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = PresetList),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_PTZ, body = ErrorBody),
    ))]
pub async fn presets(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PresetList>> {
    let r = on_ptz(&app, &id, async |dev, url, token| {
        ptz::presets(dev, url, token).await
    })
    .await;
    Ok(Json(PresetList { presets: r? }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresetCreate {
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PresetCreated {
    pub token: String,
}

#[utoipa::path(post, path = "/api/cameras/{id}/ptz/presets", operation_id = "ptzCreatePreset", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    request_body = PresetCreate,
    responses(
        (status = 200, body = PresetCreated),
        (status = 400, description = ERR_PTZ_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_PTZ, body = ErrorBody),
    ))]
pub async fn create_preset(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<PresetCreate>,
) -> ApiResult<Json<PresetCreated>> {
    let name = ptz::check_preset_name(&req.name)?.to_string();
    let r = on_ptz(&app, &id, async |dev, url, token| {
        dev.client()
            .ptz_set_preset(url, token, Some(&name), None)
            .await
            .map_err(dev.fail("SetPreset"))
    })
    .await;
    Ok(Json(PresetCreated { token: r? }))
}

/// Checks a preset token from the path: what a device accepts (ReferenceToken, ≤ 64).
fn check_token(token: &str) -> ApiResult<&str> {
    if token.is_empty() || token.len() > 64 || token.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "preset token must be 1 to 64 printable characters",
        ));
    }
    Ok(token)
}

#[utoipa::path(post, path = "/api/cameras/{id}/ptz/presets/{token}/goto", operation_id = "ptzGotoPreset", tag = "onvif",
    security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id"), ("token" = String, Path, description = "Preset token")),
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = ERR_PTZ_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_PTZ, body = ErrorBody),
    ))]
pub async fn goto_preset(
    State(app): State<AppState>,
    ApiPath((id, token)): ApiPath<(String, String)>,
) -> ApiResult<Json<StatusBody>> {
    let preset = check_token(&token)?.to_string();
    on_ptz(&app, &id, async |dev, url, profile| {
        dev.client()
            .ptz_goto_preset(url, profile, &preset)
            .await
            .map_err(dev.fail("GotoPreset"))
    })
    .await?;
    Ok(StatusBody::new("ok"))
}

#[utoipa::path(delete, path = "/api/cameras/{id}/ptz/presets/{token}", operation_id = "ptzDeletePreset", tag = "onvif",
    security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id"), ("token" = String, Path, description = "Preset token")),
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = ERR_PTZ_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_PTZ, body = ErrorBody),
    ))]
pub async fn delete_preset(
    State(app): State<AppState>,
    ApiPath((id, token)): ApiPath<(String, String)>,
) -> ApiResult<Json<StatusBody>> {
    let preset = check_token(&token)?.to_string();
    on_ptz(&app, &id, async |dev, url, profile| {
        dev.client()
            .ptz_remove_preset(url, profile, &preset)
            .await
            .map_err(dev.fail("RemovePreset"))
    })
    .await?;
    Ok(StatusBody::new("ok"))
}

const ERR_NO_IMAGING: &str = "the camera has no imaging service";

#[utoipa::path(get, path = "/api/cameras/{id}/imaging/settings", operation_id = "imagingSettings", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = Settings),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_IMAGING, body = ErrorBody),
    ))]
pub async fn get_imaging(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Settings>> {
    let r = on_imaging(&app, &id, async |dev, url, source| {
        imaging::get(dev, url, source).await
    })
    .await;
    Ok(Json(r?))
}

#[utoipa::path(put, path = "/api/cameras/{id}/imaging/settings", operation_id = "imagingSetSettings", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    request_body = Settings,
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = "INVALID_INPUT (outside the camera's options) or ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_IMAGING, body = ErrorBody),
    ))]
pub async fn put_imaging(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<Settings>,
) -> ApiResult<Json<StatusBody>> {
    on_imaging(&app, &id, async |dev, url, source| {
        imaging::set(dev, url, source, &req).await
    })
    .await?;
    Ok(StatusBody::new("ok"))
}

#[utoipa::path(get, path = "/api/cameras/{id}/imaging/options", operation_id = "imagingOptions", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = Options),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = ERR_NO_IMAGING, body = ErrorBody),
    ))]
pub async fn imaging_options(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Options>> {
    let r = on_imaging(&app, &id, async |dev, url, source| {
        imaging::options(dev, url, source).await
    })
    .await;
    Ok(Json(r?))
}
