//! The OpenAPI 3.1 document generated from the handlers' annotations, served at
//! `GET /api/openapi.json`. Every implemented endpoint must be listed here.

use crate::api::{
    archives, backups, camera_control, cameras, firmware, frames, health, live, onvif, ptz,
    recordings, session, settings, storage, system, time, xiaomi, xiaomi_sync,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub const ERR_400: &str = "INVALID_INPUT: malformed body, unknown field or out-of-range value";
pub const ERR_401: &str = "AUTH_REQUIRED (no credentials) or AUTH_FAILED (wrong credentials)";
pub const ERR_404: &str = "CAMERA_NOT_FOUND";
pub const ERR_409: &str = "CAMERA_ALREADY_EXISTS";
pub const ERR_429: &str = "RATE_LIMITED: too many failed logins from this address (Retry-After)";

struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// OpenAPI links from "camera created" to the operations on that camera, so clients and
/// stateful testers know where the new id goes.
struct CameraLinks;

impl Modify for CameraLinks {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::link::Link;
        let Some(create) = api
            .paths
            .paths
            .get_mut("/api/cameras")
            .and_then(|p| p.post.as_mut())
        else {
            return;
        };
        let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") else {
            return;
        };
        for op in [
            "getCamera",
            "updateCamera",
            "deleteCamera",
            "putCameraMergeConfig",
            "deleteCameraMergeConfig",
        ] {
            let link = Link::builder()
                .operation_id(op)
                .parameter("id", "$response.body#/id")
                .build();
            created.links.insert(op.to_string(), RefOr::T(link));
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "MiBee NVR API", description = "REST API of the MiBee NVR daemon. See docs/api.md."),
    modifiers(&BasicAuth, &CameraLinks),
    paths(
        health::health,
        health::readyz,
        system::stats_system,
        time::get_time,
        time::set_time,
        system::metrics,
        firmware::info,
        firmware::reboot,
        firmware::update_status,
        firmware::update,
        cameras::list,
        cameras::create,
        cameras::get_one,
        cameras::update,
        cameras::delete,
        camera_control::start,
        camera_control::stop,
        camera_control::test_connection,
        live::stream,
        live::websocket,
        live::snapshot,
        live::stop_stream,
        frames::list,
        system::transcoding_check,
        recordings::list,
        recordings::get_one,
        recordings::delete,
        recordings::batch_delete,
        recordings::download,
        settings::get_settings,
        settings::put_settings,
        settings::get_merge,
        settings::put_merge,
        settings::put_camera_merge,
        settings::delete_camera_merge,
        session::open,
        session::close,
        settings::get_features,
        settings::put_features,
        storage::stats,
        storage::trends,
        storage::merge_status,
        storage::merge_pending,
        archives::list,
        archives::recordings,
        archives::delete,
        archives::delete_recording,
        archives::put_retention,
        backups::create,
        backups::list,
        backups::download,
        backups::upload,
        backups::restore,
        onvif::discover,
        onvif::device_detail,
        onvif::profiles,
        onvif::capabilities,
        onvif::get_network,
        onvif::put_network,
        onvif::reboot,
        onvif::snapshot_uri,
        ptz::move_,
        ptz::stop,
        ptz::status,
        ptz::presets,
        ptz::create_preset,
        ptz::goto_preset,
        ptz::delete_preset,
        ptz::get_imaging,
        ptz::put_imaging,
        ptz::imaging_options,
        xiaomi::auth,
        xiaomi::status,
        xiaomi::sign_out,
        xiaomi::captcha,
        xiaomi::verify,
        xiaomi::devices,
        xiaomi_sync::sync,
        openapi_json,
    ),
    tags(
        (name = "system", description = "Health, readiness, system figures, metrics"),
        (name = "cameras", description = "Camera management"),
        (name = "recordings", description = "Recordings: list, get, delete, download"),
        (name = "settings", description = "Settings, merge settings, feature flags"),
        (name = "storage", description = "Storage statistics, trends, merge status"),
        (name = "backup", description = "Backups of the configuration and the database"),
        (name = "archives", description = "Archive groups: recordings by camera id, retention"),
        (name = "onvif", description = "ONVIF cameras: discovery, profiles, PTZ, imaging, network, reboot"),
        (name = "xiaomi", description = "Xiaomi cloud: sign-in with captcha and verification, devices, sync into cameras"),
    )
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/openapi.json", operation_id = "openapi", tag = "system",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
