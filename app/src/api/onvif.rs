//! ONVIF endpoints: discovery (`POST /api/onvif/discover`, `GET /api/onvif/discover/{ip}`)
//! and, per ONVIF camera, profiles, capabilities, network (get, set), reboot and the
//! snapshot URI. PTZ and imaging are in api/ptz.rs.

use crate::api::json::{ApiJson, ApiPath, StatusBody};
use crate::api::openapi::{ERR_400, ERR_401, ERR_404};
use crate::config::CameraConfig;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::onvif::device::{Device, DeviceInfo, Profile};
use crate::onvif::discover::{self, Found};
use crate::onvif::network::Network;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

pub const ERR_ONVIF: &str =
    "ONVIF_CONNECTION_FAILED: the device cannot be reached, or rejected the credentials";

/// Runs `op` on the camera and its connected device. A call that fails for a reason a
/// reconnect may fix drops the device, so the next one connects anew.
pub async fn on_device<T>(
    app: &AppState,
    id: &str,
    op: impl AsyncFnOnce(&CameraConfig, &Device) -> ApiResult<T>,
) -> ApiResult<T> {
    let cam = app
        .config
        .get()
        .camera(id)
        .ok_or_else(|| ApiError::camera_not_found(id))?
        .clone();
    let dev = app.onvif.for_camera(&cam).await?;
    let r = op(&cam, &dev).await;
    if let Err(e) = &r
        && matches!(
            e.code,
            ErrorCode::OnvifConnectionFailed | ErrorCode::CameraUnreachable
        )
    {
        app.onvif.forget(id);
    }
    r
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DiscoverRequest {
    /// Seconds to wait for answers (default 5, at most 30).
    #[schema(minimum = 0.1, maximum = 30)]
    pub timeout: Option<f64>,
    /// Also probe each address of this IPv4 CIDR by unicast (at most 1024 addresses).
    #[schema(max_length = 18)]
    pub target: Option<String>,
    /// Beyond the spec: `false` skips the multicast probe (scan `target` only).
    pub multicast: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoverResponse {
    pub devices: Vec<Found>,
}

#[utoipa::path(post, path = "/api/onvif/discover", operation_id = "onvifDiscover", tag = "onvif",
    security(("basic" = [])), request_body = DiscoverRequest,
    responses(
        (status = 200, body = DiscoverResponse),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
    ))]
pub async fn discover(
    State(_app): State<AppState>,
    ApiJson(req): ApiJson<DiscoverRequest>,
) -> ApiResult<Json<DiscoverResponse>> {
    let timeout_s = req.timeout.unwrap_or(5.0);
    if !(timeout_s.is_finite() && (0.1..=discover::MAX_TIMEOUT_S).contains(&timeout_s)) {
        return Err(ApiError::invalid(format!(
            "timeout {timeout_s}: expected 0.1 to {} seconds",
            discover::MAX_TIMEOUT_S
        )));
    }
    let target = req.target.as_deref().filter(|t| !t.is_empty());
    let multicast = req.multicast.unwrap_or(true);
    let devices = discover::discover(Duration::from_secs_f64(timeout_s), target, multicast).await?;
    Ok(Json(DiscoverResponse { devices }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DetailDevice {
    pub url: String,
    pub name: String,
    pub model: String,
    pub location: String,
    pub manufacturer: String,
    pub firmware_version: String,
    pub serial_number: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceDetail {
    pub device: DetailDevice,
    pub device_info: DeviceInfo,
    pub profiles: Vec<Profile>,
}

/// `ip` or `ip:port` → the device service address; a configured camera at that address
/// lends its credentials.
fn detail_target(app: &AppState, ip: &str) -> ApiResult<(String, String, String)> {
    let host = ip.trim();
    let authority = if let Ok(v6) = host.parse::<std::net::Ipv6Addr>() {
        format!("[{v6}]")
    } else if let Ok(sa) = host.parse::<std::net::SocketAddr>() {
        sa.to_string()
    } else if let Ok(v4) = host.parse::<std::net::Ipv4Addr>() {
        v4.to_string()
    } else {
        return Err(ApiError::invalid(format!("{ip:?} is not an IP address")));
    };
    let url = format!("http://{authority}/onvif/device_service");
    let same_host = |u: &str| {
        url::Url::parse(u)
            .ok()
            .map(|u| u.host_str().map(str::to_string))
    };
    let wanted = same_host(&url);
    let cfg = app.config.get();
    let creds = cfg
        .cameras
        .iter()
        .find(|c| c.protocol == crate::config::Protocol::Onvif && same_host(&c.url) == wanted)
        .map(|c| (c.username.clone(), c.password.clone()))
        .unwrap_or_default();
    Ok((url, creds.0, creds.1))
}

#[utoipa::path(get, path = "/api/onvif/discover/{ip}", operation_id = "onvifDeviceDetail", tag = "onvif",
    security(("basic" = [])), params(("ip" = String, Path, description = "IP address (optionally ip:port) of the device")),
    responses(
        (status = 200, body = DeviceDetail),
        (status = 400, description = "INVALID_INPUT, ONVIF_NOT_CAMERA or ONVIF_NO_PROFILES", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
    ))]
pub async fn device_detail(
    State(app): State<AppState>,
    ApiPath(ip): ApiPath<String>,
) -> ApiResult<Json<DeviceDetail>> {
    let (url, user, pass) = detail_target(&app, &ip)?;
    crate::onvif::check_host(&url)?;
    let dev = Device::connect(&url, &user, &pass).await?;
    let info = dev.info().await?;
    let profiles = dev.profiles().await?;
    let scopes = dev.client().get_scopes().await.unwrap_or_default();
    Ok(Json(DeviceDetail {
        device: DetailDevice {
            url: dev.url.clone(),
            name: discover::scope(&scopes, "name"),
            model: info.model.clone(),
            location: discover::scope(&scopes, "location"),
            manufacturer: info.manufacturer.clone(),
            firmware_version: info.firmware.clone(),
            serial_number: info.serial_number.clone(),
        },
        device_info: info,
        profiles,
    }))
}

/// What the device offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Capabilities {
    pub ptz: bool,
    pub imaging: bool,
    pub events: bool,
    pub snapshot: bool,
    pub streaming: bool,
    pub device: bool,
}

async fn capabilities_of(dev: &Device, profiles: &[Profile]) -> Capabilities {
    let snapshot = match profiles.first() {
        Some(p) => dev.snapshot_uri(&p.token).await.is_ok(),
        None => false,
    };
    Capabilities {
        ptz: dev.ptz_url.is_some() && profiles.iter().any(|p| p.ptz_config_token.is_some()),
        imaging: dev.imaging_url.is_some(),
        events: dev.events_url.is_some(),
        snapshot,
        streaming: !profiles.is_empty(),
        device: true,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfilesResponse {
    pub profiles: Vec<Profile>,
    pub capabilities: Capabilities,
}

#[utoipa::path(get, path = "/api/cameras/{id}/onvif/profiles", operation_id = "onvifProfiles", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = ProfilesResponse),
        (status = 400, description = "ONVIF_NOT_CAMERA or ONVIF_NO_PROFILES", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
    ))]
pub async fn profiles(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProfilesResponse>> {
    let r = on_device(&app, &id, async |_, dev| {
        let profiles = dev.profiles().await?;
        let capabilities = capabilities_of(dev, &profiles).await;
        Ok(ProfilesResponse {
            profiles,
            capabilities,
        })
    });
    Ok(Json(r.await?))
}

#[utoipa::path(get, path = "/api/cameras/{id}/onvif/capabilities", operation_id = "onvifCapabilities", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = Capabilities),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
    ))]
pub async fn capabilities(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Capabilities>> {
    let r = on_device(&app, &id, async |_, dev| {
        let profiles = dev.profiles().await?;
        Ok(capabilities_of(dev, &profiles).await)
    });
    Ok(Json(r.await?))
}

#[utoipa::path(get, path = "/api/cameras/{id}/onvif/network", operation_id = "onvifGetNetwork", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = Network),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = "the camera does not expose its network configuration", body = ErrorBody),
    ))]
pub async fn get_network(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Network>> {
    let r = on_device(&app, &id, async |_, dev| {
        crate::onvif::network::get(dev).await
    });
    Ok(Json(r.await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkSetResponse {
    pub status: String,
    /// The camera says the change takes effect after a reboot.
    pub reboot_needed: bool,
}

#[utoipa::path(put, path = "/api/cameras/{id}/onvif/network", operation_id = "onvifSetNetwork", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    request_body = Network,
    responses(
        (status = 200, body = NetworkSetResponse),
        (status = 400, description = "INVALID_INPUT or ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = "the camera cannot set its network configuration", body = ErrorBody),
    ))]
pub async fn put_network(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<Network>,
) -> ApiResult<Json<NetworkSetResponse>> {
    let r = on_device(&app, &id, async |_, dev| {
        crate::onvif::network::set(dev, &req).await
    });
    let reboot_needed = r.await?;
    Ok(Json(NetworkSetResponse {
        status: "ok".into(),
        reboot_needed,
    }))
}

#[utoipa::path(post, path = "/api/cameras/{id}/onvif/reboot", operation_id = "onvifReboot", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = "ONVIF_NOT_CAMERA", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = "the camera cannot be rebooted over ONVIF", body = ErrorBody),
    ))]
pub async fn reboot(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    let msg = on_device(&app, &id, async |_, dev| dev.reboot().await).await?;
    tracing::info!(camera = %id, message = %msg, "ONVIF camera reboot requested");
    app.onvif.forget(&id);
    Ok(StatusBody::new("ok"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UriResponse {
    pub uri: String,
}

#[utoipa::path(get, path = "/api/cameras/{id}/snapshot/uri", operation_id = "onvifSnapshotUri", tag = "onvif",
    security(("basic" = [])), params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, body = UriResponse),
        (status = 400, description = "ONVIF_NOT_CAMERA or ONVIF_NO_PROFILES", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 500, description = ERR_ONVIF, body = ErrorBody),
        (status = 501, description = "the camera has no snapshot URI", body = ErrorBody),
    ))]
pub async fn snapshot_uri(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<UriResponse>> {
    let r = on_device(&app, &id, async |cam, dev| {
        let profile = dev.profile(&cam.onvif_profile).await?;
        dev.snapshot_uri(&profile.token).await
    });
    Ok(Json(UriResponse { uri: r.await? }))
}
