//! The HTTP surface: the router with public and authenticated routes, the JSON 404 for
//! unknown routes and the JSON 405 (with `Allow`) for unsupported methods.

pub mod archives;
pub mod backups;
pub mod camera_control;
pub mod cameras;
pub mod connection_probe;
pub mod cross_site;
pub mod firmware;
pub mod frames;
pub mod health;
pub mod json;
pub mod live;
pub mod onvif;
pub mod openapi;
pub mod ptz;
pub mod recordings;
pub mod session;
pub mod settings;
pub mod storage;
pub mod system;
pub mod time;
pub mod ui;
pub mod xiaomi;
pub mod xiaomi_sync;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};

pub fn router(state: AppState) -> Router {
    let protected =
        Router::new()
            .route("/api/stats/system", get(system::stats_system))
            .route("/api/transcoding/check", get(system::transcoding_check))
            .route("/metrics", get(system::metrics))
            .route("/api/system/info", get(firmware::info))
            .route("/api/system/time", get(time::get_time).put(time::set_time))
            .route("/api/system/reboot", post(firmware::reboot))
            .route(
                "/api/system/update",
                get(firmware::update_status).post(firmware::update).layer(
                    axum::extract::DefaultBodyLimit::max(firmware::MAX_BUNDLE_BYTES),
                ),
            )
            .route("/api/cameras", get(cameras::list).post(cameras::create))
            .route(
                "/api/cameras/{id}",
                get(cameras::get_one)
                    .put(cameras::update)
                    .delete(cameras::delete),
            )
            .route(
                "/api/cameras/{id}/merge-config",
                put(settings::put_camera_merge).delete(settings::delete_camera_merge),
            )
            .route(
                "/api/cameras/test-connection",
                post(camera_control::test_connection),
            )
            .route("/api/cameras/{id}/start", post(camera_control::start))
            .route("/api/cameras/{id}/stop", post(camera_control::stop))
            .route("/api/cameras/{id}/stream/{*path}", get(live::stream))
            .route("/api/cameras/{id}/live", get(live::websocket))
            .route("/api/cameras/{id}/stream", delete(live::stop_stream))
            .route("/api/cameras/{id}/snapshot", get(live::snapshot))
            .route("/api/onvif/discover", post(onvif::discover))
            .route("/api/onvif/discover/{ip}", get(onvif::device_detail))
            .route("/api/cameras/{id}/onvif/profiles", get(onvif::profiles))
            .route(
                "/api/cameras/{id}/onvif/capabilities",
                get(onvif::capabilities),
            )
            .route(
                "/api/cameras/{id}/onvif/network",
                get(onvif::get_network).put(onvif::put_network),
            )
            .route("/api/cameras/{id}/onvif/reboot", post(onvif::reboot))
            .route("/api/cameras/{id}/snapshot/uri", get(onvif::snapshot_uri))
            .route("/api/cameras/{id}/ptz/move", post(ptz::move_))
            .route("/api/cameras/{id}/ptz/stop", post(ptz::stop))
            .route("/api/cameras/{id}/ptz/status", get(ptz::status))
            .route(
                "/api/cameras/{id}/ptz/presets",
                get(ptz::presets).post(ptz::create_preset),
            )
            .route(
                "/api/cameras/{id}/ptz/presets/{token}",
                delete(ptz::delete_preset),
            )
            .route(
                "/api/cameras/{id}/ptz/presets/{token}/goto",
                post(ptz::goto_preset),
            )
            .route(
                "/api/cameras/{id}/imaging/settings",
                get(ptz::get_imaging).put(ptz::put_imaging),
            )
            .route(
                "/api/cameras/{id}/imaging/options",
                get(ptz::imaging_options),
            )
            .route("/api/recordings", get(recordings::list))
            .route(
                "/api/recordings/batch-delete",
                post(recordings::batch_delete),
            )
            .route(
                "/api/recordings/{id}",
                get(recordings::get_one).delete(recordings::delete),
            )
            .route("/api/recordings/{id}/download", get(recordings::download))
            .route("/api/recordings/{id}/frames", get(frames::list))
            .route(
                "/api/settings",
                get(settings::get_settings).put(settings::put_settings),
            )
            .route(
                "/api/settings/merge",
                get(settings::get_merge).put(settings::put_merge),
            )
            .route(
                "/api/auth/session",
                post(session::open).delete(session::close),
            )
            .route("/api/stats", get(storage::stats))
            .route("/api/stats/trends", get(storage::trends))
            .route("/api/merge/status", get(storage::merge_status))
            .route("/api/merge/pending", get(storage::merge_pending))
            .route("/api/backup", post(backups::create))
            .route(
                "/api/backups",
                get(backups::list).post(backups::upload).layer(
                    axum::extract::DefaultBodyLimit::max(backups::MAX_UPLOAD_BYTES),
                ),
            )
            .route("/api/backups/{backup_id}/download", get(backups::download))
            .route("/api/backups/{backup_id}/restore", post(backups::restore))
            .route("/api/archives", get(archives::list))
            .route("/api/archives/{camera_id}", delete(archives::delete))
            .route(
                "/api/archives/{camera_id}/recordings",
                get(archives::recordings),
            )
            .route(
                "/api/archives/{camera_id}/recordings/{recording_id}",
                delete(archives::delete_recording),
            )
            .route(
                "/api/archives/{camera_id}/retention",
                put(archives::put_retention),
            )
            .route(
                "/api/features",
                get(settings::get_features).put(settings::put_features),
            )
            .route(
                "/api/xiaomi/auth",
                post(xiaomi::auth)
                    .get(xiaomi::status)
                    .delete(xiaomi::sign_out),
            )
            .route("/api/xiaomi/captcha", post(xiaomi::captcha))
            .route("/api/xiaomi/verify", post(xiaomi::verify))
            .route("/api/xiaomi/devices", get(xiaomi::devices))
            .route("/api/xiaomi/sync", post(xiaomi::sync))
            .route_layer(from_fn_with_state(state.clone(), crate::auth::require_auth));
    Router::new()
        .route("/api/health", get(health::health))
        .route("/api/readyz", get(health::readyz))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .merge(protected)
        .fallback(ui::serve)
        .layer(from_fn(json_method_not_allowed))
        .layer(from_fn(cross_site::refuse_cross_site))
        .layer(from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::count_requests,
        ))
        .with_state(state)
}

/// axum answers a known path with an unsupported method with an empty 405 and an `Allow`
/// header; give it the JSON error body every other error has.
async fn json_method_not_allowed(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let resp = next.run(req).await;
    if resp.status() != StatusCode::METHOD_NOT_ALLOWED {
        return resp;
    }
    let (parts, _) = resp.into_parts();
    let mut out = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("method {method} not allowed here"),
    )
    .into_response();
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        out.headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    out
}
