//! The appliance: `GET /api/system/info` (daemon and firmware version, A/B slot, board,
//! uptime) and `POST /api/system/reboot`. The firmware facts come from files the image
//! provides (`/etc/nvr/firmware-version`, `/etc/nvr/board`, `/run/slot` written at boot);
//! off the appliance (a development machine) they are null and reboot is refused.

use crate::api::json::StatusBody;
use crate::api::openapi::{ERR_401, ERR_429};
use crate::duration::format_uptime;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use crate::sync::LockExt;
use crate::update::UpdateStatus;
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

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UpdateQuery {
    /// Reboot into the new slot once installed (default false).
    pub reboot: Option<bool>,
}

/// Largest bundle accepted.
pub const MAX_BUNDLE_BYTES: usize = 2 << 30;

fn set_update(app: &AppState, f: impl FnOnce(&mut UpdateStatus)) {
    f(&mut app.update.locked());
}

#[utoipa::path(get, path = "/api/system/update", operation_id = "getSystemUpdate", tag = "system", security(("basic" = [])),
    responses(
        (status = 200, body = UpdateStatus),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn update_status(State(app): State<AppState>) -> Json<UpdateStatus> {
    let mut s = app.update.locked().clone();
    if s.state.is_empty() {
        s.state = "idle".into();
    }
    Json(s)
}

#[utoipa::path(post, path = "/api/system/update", operation_id = "postSystemUpdate", tag = "system", security(("basic" = [])),
    params(UpdateQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A signed update bundle (mibee-nvr update-bundle)"),
    responses(
        (status = 200, description = "Installed into the inactive slot; the next boot tries it once", body = UpdateStatus),
        (status = 400, description = "INVALID_INPUT: unsigned, tampered, wrong board or malformed bundle (nothing changed)", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 501, description = "NOT_IMPLEMENTED: not running on the appliance image", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE: another update is in progress", body = ErrorBody),
        (status = 507, description = "STORAGE_FULL", body = ErrorBody),
    ))]
pub async fn update(
    State(app): State<AppState>,
    q: Result<axum::extract::Query<UpdateQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<UpdateStatus>> {
    let axum::extract::Query(q) = q.map_err(|e| ApiError::invalid(e.body_text()))?;
    if !on_appliance() {
        return Err(ApiError::new(
            ErrorCode::NotImplemented,
            "firmware updates are only available on the appliance image",
        ));
    }
    {
        let mut s = app.update.locked();
        if matches!(s.state.as_str(), "receiving" | "verifying" | "installing") {
            return Err(ApiError::new(
                ErrorCode::Unavailable,
                "another update is in progress",
            ));
        }
        *s = UpdateStatus {
            state: "receiving".into(),
            bytes_total: headers
                .get(axum::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok()),
            ..Default::default()
        };
    }
    let result = receive_and_install(&app, body).await;
    let dir = app.config.data_dir().join("update");
    let _ = tokio::fs::remove_dir_all(&dir).await;
    match result {
        Ok(()) => {
            if q.reboot == Some(true) {
                let _ = reboot().await?;
            }
            Ok(Json(app.update.locked().clone()))
        }
        Err(e) => {
            set_update(&app, |s| {
                s.state = "failed".into();
                s.message = e.message.clone();
            });
            Err(e)
        }
    }
}

/// Streams the bundle to the data partition, verifies it, installs it.
async fn receive_and_install(app: &AppState, body: axum::body::Body) -> ApiResult<()> {
    use futures::StreamExt;
    use tokio::io::AsyncWriteExt;
    let dir = app.config.data_dir().join("update");
    let _ = tokio::fs::remove_dir_all(&dir).await;
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| ApiError::io("update", &e))?;
    let bundle = dir.join("bundle.tar");
    let mut out = tokio::fs::File::create(&bundle)
        .await
        .map_err(|e| ApiError::io("update", &e))?;
    let mut stream = body.into_data_stream();
    let mut n: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("upload: {e}")))?;
        n += chunk.len() as u64;
        if n > MAX_BUNDLE_BYTES as u64 {
            return Err(ApiError::invalid("the bundle is larger than 2 GiB"));
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| ApiError::io("update", &e))?;
        set_update(app, |s| {
            s.bytes_received = n;
            s.progress_percent = s
                .bytes_total
                .filter(|t| *t > 0)
                .map(|t| (n * 60 / t).min(60) as u8)
                .unwrap_or(0);
        });
    }
    out.sync_all()
        .await
        .map_err(|e| ApiError::io("update", &e))?;
    set_update(app, |s| {
        s.state = "verifying".into();
        s.progress_percent = 60;
    });
    let a = app.clone();
    tokio::task::spawn_blocking(move || -> ApiResult<()> {
        let root = firmware_root();
        let key_text = std::fs::read_to_string(root.join("etc/nvr/update.pub"))
            .map_err(|_| ApiError::internal("this image has no update key"))?;
        let key = crate::update::parse_public_key(&key_text).map_err(update_error)?;
        let board = read_fact("etc/nvr/board").unwrap_or_default();
        let v = crate::update::verify(&bundle, &key, &board, &dir.join("staged"))
            .map_err(update_error)?;
        let _ = std::fs::remove_file(&bundle);
        set_update(&a, |s| {
            s.state = "installing".into();
            s.progress_percent = 75;
            s.version = Some(v.manifest.version.clone());
        });
        let said =
            crate::update::install(&v, &root.join("usr/sbin/nvr-bootctl")).map_err(update_error)?;
        tracing::info!(version = %v.manifest.version, %said, "firmware update installed");
        set_update(&a, |s| {
            s.state = "installed".into();
            s.progress_percent = 100;
            s.message = said;
        });
        Ok(())
    })
    .await
    .map_err(ApiError::internal)?
}

fn update_error(e: crate::update::UpdateError) -> ApiError {
    match e {
        crate::update::UpdateError::Refused(m) => ApiError::invalid(format!("update refused: {m}")),
        crate::update::UpdateError::Io(e) => ApiError::io("update", &e),
        e @ crate::update::UpdateError::Install(_) => ApiError::internal(e),
    }
}
