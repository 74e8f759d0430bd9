//! The appliance: `GET /api/system/info` (daemon and firmware version, A/B slot, board,
//! uptime) and `POST /api/system/reboot`. The firmware facts come from files the image
//! provides (`/etc/nvr/firmware-version`, `/etc/nvr/board`, `/run/slot` written at boot);
//! off the appliance (a development machine) they are null and reboot is refused.

use crate::api::json::StatusBody;
use crate::api::openapi::{ERR_401, ERR_429};
use crate::duration::format_uptime;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// Where the image keeps its facts (overridable for tests: `MIBEE_FIRMWARE_ROOT`).
fn firmware_root() -> std::path::PathBuf {
    std::env::var_os("MIBEE_FIRMWARE_ROOT")
        .map(Into::into)
        .unwrap_or_else(|| "/".into())
}

fn read_fact(rel: &str) -> Option<String> {
    let s = std::fs::read_to_string(firmware_root().join(rel)).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// True on the appliance image (it ships `/etc/nvr/slots.conf`).
pub fn on_appliance() -> bool {
    firmware_root().join("etc/nvr/slots.conf").is_file()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemInfo {
    /// The daemon's version.
    pub version: String,
    /// The firmware image's version; null off the appliance.
    pub firmware_version: Option<String>,
    /// The A/B slot booted (`A` or `B`); null off the appliance.
    pub slot: Option<String>,
    /// The board the image is for (e.g. `qemu-aarch64-virt`, `raspberrypi4-64`).
    pub board: Option<String>,
    /// Daemon uptime like `2h34m15s`.
    pub uptime: String,
    /// System uptime in seconds (from /proc/uptime).
    pub system_uptime_secs: u64,
}

#[utoipa::path(get, path = "/api/system/info", operation_id = "systemInfo", tag = "system", security(("basic" = [])),
    responses(
        (status = 200, body = SystemInfo),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn info(State(app): State<AppState>) -> Json<SystemInfo> {
    let system_uptime_secs = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split('.').next().and_then(|x| x.parse().ok()))
        .unwrap_or(0);
    Json(SystemInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        firmware_version: read_fact("etc/nvr/firmware-version"),
        slot: read_fact("run/slot").filter(|s| s == "A" || s == "B"),
        board: read_fact("etc/nvr/board"),
        uptime: format_uptime(app.started.elapsed()),
        system_uptime_secs,
    })
}

#[utoipa::path(post, path = "/api/system/reboot", operation_id = "systemReboot", tag = "system", security(("basic" = [])),
    responses(
        (status = 200, description = "Rebooting", body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 501, description = "NOT_IMPLEMENTED: not running on the appliance image", body = ErrorBody),
    ))]
pub async fn reboot() -> ApiResult<Json<StatusBody>> {
    if !on_appliance() {
        return Err(ApiError::new(
            ErrorCode::NotImplemented,
            "reboot is only available on the appliance image",
        ));
    }
    // Let the answer go out, then ask init for an orderly reboot (SIGTERM to us first).
    tokio::spawn(async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if let Err(e) = std::process::Command::new("/sbin/reboot").status() {
            tracing::error!(error = %e, "reboot failed");
        }
    });
    Ok(StatusBody::new("rebooting"))
}
