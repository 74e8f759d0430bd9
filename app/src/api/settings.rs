//! Settings: `GET|PUT /api/settings`, `GET|PUT /api/settings/merge`,
//! `PUT|DELETE /api/cameras/{id}/merge-config` and `GET|PUT /api/features`. Every PUT is a
//! partial update validated as a whole by the config store; a rejected PUT changes nothing.

use crate::api::json::{ApiJson, ApiPath, StatusBody};
use crate::api::openapi::{ERR_400, ERR_401, ERR_404, ERR_429};
use crate::config::{
    CleanupConfig, Features, FeaturesPatch, LiveConfig, MergeConfig, MergePatch, RateLimitConfig,
    ServerConfig, SettingsPatch, StorageConfig, XiaomiConfig,
};
use crate::duration::HumanDuration;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// Minimum length of a password set through the API.
const MIN_PASSWORD_LEN: usize = 8;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthView {
    pub username: String,
    /// False means authentication is off (every request is let through).
    pub password_set: bool,
    pub verify_cache_ttl: HumanDuration,
    pub rate_limit: RateLimitConfig,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub cleanup: CleanupConfig,
    pub auth: AuthView,
    pub merge: MergeConfig,
    pub live: LiveConfig,
    pub xiaomi: XiaomiConfig,
    pub time: crate::config::TimeConfig,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsUpdated {
    /// `updated`.
    pub status: String,
    /// True when a changed setting (server.listen, storage.root_dir) applies only after a restart.
    pub restart_required: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeaturesView {
    pub features: Features,
}

#[utoipa::path(get, path = "/api/settings", operation_id = "getSettings", tag = "settings", security(("basic" = [])),
    responses(
        (status = 200, body = SettingsView),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn get_settings(State(app): State<AppState>) -> Json<SettingsView> {
    let c = app.config.get();
    Json(SettingsView {
        server: c.server.clone(),
        storage: c.storage.clone(),
        cleanup: c.cleanup.clone(),
        auth: AuthView {
            username: c.auth.username.clone(),
            password_set: !c.auth.password_hash.is_empty(),
            verify_cache_ttl: c.auth.verify_cache_ttl,
            rate_limit: c.auth.rate_limit.clone(),
        },
        merge: c.merge.clone(),
        live: c.live.clone(),
        xiaomi: c.xiaomi.clone(),
        time: c.time.clone(),
    })
}

#[utoipa::path(put, path = "/api/settings", operation_id = "updateSettings", tag = "settings", security(("basic" = [])),
    request_body = SettingsPatch,
    responses(
        (status = 200, body = SettingsUpdated),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn put_settings(
    State(app): State<AppState>,
    ApiJson(mut patch): ApiJson<SettingsPatch>,
) -> ApiResult<Json<SettingsUpdated>> {
    // A new plaintext password is hashed before the config lock is taken (argon2 is slow).
    let mut new_hash = None;
    if let Some(auth) = patch.auth.as_mut()
        && let Some(pw) = auth.password.take()
    {
        if auth.password_hash.is_some() {
            return Err(ApiError::invalid(
                "auth: give either password or password_hash, not both",
            ));
        }
        if pw.is_empty() {
            new_hash = Some(String::new());
        } else {
            if pw.chars().count() < MIN_PASSWORD_LEN || pw.chars().count() > 1024 {
                return Err(ApiError::invalid(format!(
                    "auth.password: must be {MIN_PASSWORD_LEN} to 1024 characters"
                )));
            }
            let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&pw))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            new_hash = Some(hash);
        }
    }
    let restart_required = app
        .config
        .update(|cfg| {
            patch.apply(cfg);
            if let Some(h) = new_hash {
                cfg.auth.password_hash = h;
            }
            Ok(app.restart_required(cfg))
        })
        .await?;
    Ok(Json(SettingsUpdated {
        status: "updated".into(),
        restart_required,
    }))
}

#[utoipa::path(get, path = "/api/settings/merge", operation_id = "getMergeSettings", tag = "settings", security(("basic" = [])),
    responses(
        (status = 200, body = MergeConfig),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn get_merge(State(app): State<AppState>) -> Json<MergeConfig> {
    Json(app.config.get().merge.clone())
}

#[utoipa::path(put, path = "/api/settings/merge", operation_id = "updateMergeSettings", tag = "settings", security(("basic" = [])),
    request_body = MergePatch,
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn put_merge(
    State(app): State<AppState>,
    ApiJson(patch): ApiJson<MergePatch>,
) -> ApiResult<Json<StatusBody>> {
    app.config
        .update(|cfg| {
            patch.apply_global(&mut cfg.merge);
            Ok(())
        })
        .await?;
    Ok(StatusBody::new("updated"))
}

/// Strips the `cameras[N].` prefix so errors name the merge key the client sent.
fn merge_error(e: ApiError) -> ApiError {
    match e.message.split_once(".merge.") {
        Some((_, tail)) => ApiError::invalid(tail),
        None => e,
    }
}

#[utoipa::path(put, path = "/api/cameras/{id}/merge-config", operation_id = "putCameraMergeConfig", tag = "settings", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id")),
    request_body = MergePatch,
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn put_camera_merge(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<MergePatch>,
) -> ApiResult<Json<StatusBody>> {
    app.config
        .update(|cfg| {
            let cam = cfg
                .camera_mut(&id)
                .ok_or_else(|| ApiError::camera_not_found(&id))?;
            patch.apply_override(cam.merge.get_or_insert_with(Default::default));
            Ok(())
        })
        .await
        .map_err(merge_error)?;
    Ok(StatusBody::new("updated"))
}

#[utoipa::path(delete, path = "/api/cameras/{id}/merge-config", operation_id = "deleteCameraMergeConfig", tag = "settings", security(("basic" = [])),
    params(("id" = String, Path, description = "Camera id")),
    responses(
        (status = 200, description = "Overrides removed; the global merge settings apply", body = StatusBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 404, description = ERR_404, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn delete_camera_merge(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StatusBody>> {
    app.config
        .update(|cfg| {
            let cam = cfg
                .camera_mut(&id)
                .ok_or_else(|| ApiError::camera_not_found(&id))?;
            cam.merge = None;
            Ok(())
        })
        .await?;
    Ok(StatusBody::new("reset"))
}

#[utoipa::path(get, path = "/api/features", operation_id = "getFeatures", tag = "settings", security(("basic" = [])),
    responses(
        (status = 200, body = FeaturesView),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn get_features(State(app): State<AppState>) -> Json<FeaturesView> {
    Json(FeaturesView {
        features: app.config.get().features.clone(),
    })
}

#[utoipa::path(put, path = "/api/features", operation_id = "updateFeatures", tag = "settings", security(("basic" = [])),
    request_body = FeaturesPatch,
    responses(
        (status = 200, body = StatusBody),
        (status = 400, description = ERR_400, body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn put_features(
    State(app): State<AppState>,
    ApiJson(patch): ApiJson<FeaturesPatch>,
) -> ApiResult<Json<StatusBody>> {
    app.config
        .update(|cfg| {
            patch.apply(&mut cfg.features);
            Ok(())
        })
        .await?;
    Ok(StatusBody::new("updated"))
}
