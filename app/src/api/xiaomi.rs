//! The Xiaomi endpoints: sign in (`/api/xiaomi/auth`, with the captcha and verification
//! detours of the API decisions, design/spec-decisions.md, through `/captcha` and
//! `/verify`), sign-in status and sign-out, the account's devices, and the sync that turns
//! camera models into cameras (names and models updated, vanished devices reported, their
//! cameras kept).

use crate::api::openapi::{ERR_400, ERR_429};
use crate::config::{Protocol, XIAOMI_REGIONS};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use crate::xiaomi::account::{self, Factor, Pending, Step};
use crate::xiaomi::devices::CloudDevice;
use crate::xiaomi::http::{CloudError, Http};
use crate::xiaomi::service::session_handle;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const ERR_401_X: &str = "AUTH_REQUIRED/AUTH_FAILED (this NVR), XIAOMI_AUTH_FAILED (the cloud refused the account, password or code), XIAOMI_AUTH_REQUIRED (not signed in to Xiaomi)";
const ERR_502_X: &str = "XIAOMI_CLOUD_ERROR: the cloud was unreachable, did not answer within xiaomi.timeout, or answered nonsense";

pub fn cloud_error(e: CloudError) -> ApiError {
    let code = match &e {
        CloudError::Rejected(_) => ErrorCode::XiaomiAuthFailed,
        CloudError::Expired => ErrorCode::XiaomiAuthRequired,
        _ => ErrorCode::XiaomiCloudError,
    };
    let msg = match &e {
        CloudError::Expired => {
            "not signed in to Xiaomi (or the session expired): POST /api/xiaomi/auth".to_string()
        }
        other => other.to_string(),
    };
    ApiError::new(code, msg)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthBody {
    /// The Xiaomi account: e-mail, phone number or numeric id.
    pub username: String,
    pub password: String,
    /// cn, de, us, ru, tw, sg, in or i2; default: the `xiaomi.region` setting.
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    /// `signed_in`.
    pub status: &'static str,
    pub user_id: String,
    /// A non-secret handle of the session (the tokens never leave the NVR).
    pub token: String,
    pub region: String,
    pub username: String,
}

/// 202: the sign-in waits for a captcha or a verification code (`POST /api/xiaomi/verify`).
#[derive(Serialize, ToSchema, Default)]
pub struct Challenge {
    /// `captcha_required` or `verification_required`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha_id: Option<String>,
    /// The captcha image, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha_image: Option<String>,
    /// The image's type (`image/png`, `image/jpeg`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Factor>,
    /// Where the code was sent, masked by the cloud (`u***@example.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked_target: Option<String>,
    /// Why the challenge came again (a wrong captcha code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn image_type(b: &[u8]) -> &'static str {
    match b {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xFF, 0xD8, ..] => "image/jpeg",
        [b'G', b'I', b'F', ..] => "image/gif",
        _ => "application/octet-stream",
    }
}

fn text_field(name: &str, v: &str, max: usize) -> ApiResult<()> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "{name}: 1-{max} printable characters"
        )));
    }
    Ok(())
}

/// Turns a sign-in step into the answer: done → 200 (the session saved), else 202.
async fn answer(app: &AppState, step: Step, message: Option<String>) -> ApiResult<Response> {
    match step {
        Step::Done(s) => {
            app.xiaomi
                .set_session(app.config.data_dir(), Some(s.clone()))
                .await
                .map_err(|e| ApiError::internal(format!("saving the Xiaomi session: {e}")))?;
            tracing::info!(user_id = %s.user_id, region = %s.region, "signed in to xiaomi");
            let body = SignedIn {
                status: "signed_in",
                token: session_handle(&s),
                user_id: s.user_id,
                region: s.region,
                username: s.username,
            };
            Ok((StatusCode::OK, Json(body)).into_response())
        }
        Step::Captcha { pending, image } => {
            let body = Challenge {
                status: "captcha_required",
                captcha_type: Some(image_type(&image).into()),
                captcha_image: Some(base64::engine::general_purpose::STANDARD.encode(&image)),
                captcha_id: Some(app.xiaomi.park(pending)),
                message,
                ..Default::default()
            };
            Ok((StatusCode::ACCEPTED, Json(body)).into_response())
        }
        Step::Verify { pending, masked } => {
            let factor = match &pending {
                Pending::Verify { factor, .. } => *factor,
                Pending::Captcha { .. } => Factor::Email,
            };
            let body = Challenge {
                status: "verification_required",
                method: Some(factor),
                masked_target: Some(masked),
                verification_id: Some(app.xiaomi.park(pending)),
                message,
                ..Default::default()
            };
            Ok((StatusCode::ACCEPTED, Json(body)).into_response())
        }
    }
}

fn http(app: &AppState) -> Http {
    Http::new(app.config.get().xiaomi.timeout.as_duration())
}

#[utoipa::path(post, path = "/api/xiaomi/auth", operation_id = "xiaomiAuth", tag = "xiaomi", security(("basic" = [])),
    request_body = AuthBody,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 202, description = "A captcha or a verification code is needed", body = Challenge),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401_X, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 502, description = ERR_502_X, body = ErrorBody),
    ))]
pub async fn auth(
    State(app): State<AppState>,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<AuthBody>,
) -> ApiResult<Response> {
    text_field("username", &b.username, 256)?;
    if b.password.is_empty() || b.password.chars().count() > 256 {
        return Err(ApiError::invalid("password: 1-256 characters"));
    }
    let cfg = app.config.get();
    let region = b.region.unwrap_or_else(|| cfg.xiaomi.region.clone());
    if !XIAOMI_REGIONS.contains(&region.as_str()) {
        return Err(ApiError::invalid(format!(
            "region: one of {}",
            XIAOMI_REGIONS.join(", ")
        )));
    }
    let step = account::start(
        &http(&app),
        &cfg.xiaomi.account_url,
        b.username.trim(),
        &b.password,
        &region,
    )
    .await
    .map_err(cloud_error)?;
    answer(&app, step, None).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptchaBody {
    pub username: String,
}

#[utoipa::path(post, path = "/api/xiaomi/captcha", operation_id = "xiaomiCaptcha", tag = "xiaomi", security(("basic" = [])),
    description = "A fresh captcha image for this account's sign-in that waits for one (after POST /api/xiaomi/auth answered captcha_required); with no sign-in waiting, a captcha to answer with the password in POST /api/xiaomi/verify (the reference's flow).",
    request_body = CaptchaBody,
    responses(
        (status = 202, body = Challenge),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401_X, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 502, description = ERR_502_X, body = ErrorBody),
    ))]
pub async fn captcha(
    State(app): State<AppState>,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<CaptchaBody>,
) -> ApiResult<Response> {
    text_field("username", &b.username, 256)?;
    let username = b.username.trim();
    let Some((id, pending)) = app.xiaomi.captcha_of(username) else {
        // No sign-in waits: the reference's flow, a captcha first and the password with
        // its answer (POST /api/xiaomi/verify with username and password).
        let cfg = app.config.get().xiaomi.clone();
        let step = account::captcha_for(&http(&app), &cfg.account_url, username, &cfg.region).await;
        return answer(&app, step.map_err(cloud_error)?, None).await;
    };
    match account::new_captcha(&http(&app), &pending).await {
        Ok(step) => {
            app.xiaomi.take(&id); // the new captcha gets a new id
            answer(&app, step, None).await
        }
        Err(e) => Err(cloud_error(e)), // the old captcha stays usable
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// Answers a captcha: its id and the characters on it.
    #[serde(default)]
    pub captcha_id: Option<String>,
    #[serde(default)]
    pub captcha_code: Option<String>,
    /// Answers identity verification: its id and the code sent by e-mail or SMS.
    #[serde(default)]
    pub verification_id: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    /// Accepted for the reference's shape; the sign-in already knows them.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[utoipa::path(post, path = "/api/xiaomi/verify", operation_id = "xiaomiVerify", tag = "xiaomi", security(("basic" = [])),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 202, description = "Another captcha (the code was wrong) or a verification code is needed", body = Challenge),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401_X, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 502, description = ERR_502_X, body = ErrorBody),
    ))]
pub async fn verify(
    State(app): State<AppState>,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<VerifyBody>,
) -> ApiResult<Response> {
    let (id, code, is_captcha) = match (&b.captcha_id, &b.captcha_code, &b.verification_id, &b.code)
    {
        (Some(id), Some(c), None, _) => (id, c, true),
        (None, _, Some(id), Some(c)) => (id, c, false),
        _ => {
            return Err(ApiError::invalid(
                "give captcha_id with captcha_code, or verification_id with code",
            ));
        }
    };
    if code.trim().is_empty()
        || code.chars().count() > 32
        || !code.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(ApiError::invalid("the code: 1-32 letters or digits"));
    }
    let pending = app.xiaomi.take(id).ok_or_else(|| {
        ApiError::invalid("unknown or expired sign-in id: POST /api/xiaomi/auth again")
    })?;
    let http = http(&app);
    if is_captcha {
        if !matches!(pending, Pending::Captcha { .. }) {
            app.xiaomi.put_back(id, pending);
            return Err(ApiError::invalid(
                "this sign-in waits for a verification code: give verification_id and code",
            ));
        }
        if account::needs_password(&pending) && b.password.as_deref().is_none_or(|p| p.is_empty()) {
            app.xiaomi.put_back(id, pending);
            return Err(ApiError::invalid(
                "this captcha came before the password: give username and password with it",
            ));
        }
        let step = account::answer_captcha(&http, pending, code.trim(), b.password.as_deref())
            .await
            .map_err(cloud_error)?;
        let again = matches!(step, Step::Captcha { .. })
            .then(|| "wrong captcha code; here is a new one".to_string());
        return answer(&app, step, again).await;
    }
    if !matches!(pending, Pending::Verify { .. }) {
        app.xiaomi.put_back(id, pending);
        return Err(ApiError::invalid(
            "this sign-in waits for a captcha: give captcha_id and captcha_code",
        ));
    }
    match account::answer_verification(&http, pending.clone(), code.trim()).await {
        Ok(step) => answer(&app, step, None).await,
        Err(e) => {
            if matches!(e, CloudError::Rejected(_)) {
                app.xiaomi.put_back(id, pending); // a typo may be corrected
            }
            Err(cloud_error(e))
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuthStatus {
    pub signed_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[utoipa::path(get, path = "/api/xiaomi/auth", operation_id = "xiaomiAuthStatus", tag = "xiaomi", security(("basic" = [])),
    responses((status = 200, body = AuthStatus), (status = 401, description = ERR_401_X, body = ErrorBody)))]
pub async fn status(State(app): State<AppState>) -> Json<AuthStatus> {
    let s = app.xiaomi.session(app.config.data_dir()).await;
    Json(AuthStatus {
        signed_in: s.is_some(),
        username: s.as_ref().map(|s| s.username.clone()),
        user_id: s.as_ref().map(|s| s.user_id.clone()),
        region: s.map(|s| s.region),
    })
}

#[utoipa::path(delete, path = "/api/xiaomi/auth", operation_id = "xiaomiSignOut", tag = "xiaomi", security(("basic" = [])),
    description = "Signs out: the saved session is deleted. Cameras stay.",
    responses((status = 200, body = AuthStatus), (status = 401, description = ERR_401_X, body = ErrorBody)))]
pub async fn sign_out(State(app): State<AppState>) -> ApiResult<Json<AuthStatus>> {
    app.xiaomi
        .set_session(app.config.data_dir(), None)
        .await
        .map_err(|e| ApiError::internal(format!("deleting the Xiaomi session: {e}")))?;
    Ok(Json(AuthStatus {
        signed_in: false,
        username: None,
        user_id: None,
        region: None,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeviceView {
    pub did: String,
    pub name: String,
    pub model: String,
    pub online: bool,
    /// A camera model (the ones sync turns into cameras).
    pub camera: bool,
    pub ip: String,
    pub mac: String,
    /// The NVR camera synced from this device, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceList {
    pub devices: Vec<DeviceView>,
}

pub async fn cloud_devices(app: &AppState) -> ApiResult<Vec<CloudDevice>> {
    let cfg = app.config.get();
    app.xiaomi
        .devices(app.config.data_dir(), &cfg.xiaomi)
        .await
        .map_err(cloud_error)
}

#[utoipa::path(get, path = "/api/xiaomi/devices", operation_id = "xiaomiDevices", tag = "xiaomi", security(("basic" = [])),
    responses(
        (status = 200, body = DeviceList),
        (status = 401, description = ERR_401_X, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 502, description = ERR_502_X, body = ErrorBody),
    ))]
pub async fn devices(State(app): State<AppState>) -> ApiResult<Json<DeviceList>> {
    let list = cloud_devices(&app).await?;
    let cfg = app.config.get();
    let devices = list
        .into_iter()
        .map(|d| DeviceView {
            camera: d.is_camera(),
            camera_id: cfg
                .cameras
                .iter()
                .find(|c| c.protocol == Protocol::Xiaomi && c.did == d.did)
                .map(|c| c.id.clone()),
            did: d.did,
            name: d.name,
            model: d.model,
            online: d.online,
            ip: d.localip,
            mac: d.mac,
        })
        .collect();
    Ok(Json(DeviceList { devices }))
}

pub use super::xiaomi_sync::sync;
