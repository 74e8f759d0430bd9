//! `POST /api/xiaomi/sync`: the account's camera models become cameras (`protocol: xiaomi`,
//! `did`, the model in `vendor`, the cloud's name), names and models follow the cloud, and
//! cameras whose device left the account are reported, never deleted (their recordings and any
//! RTSP URL the user set stay).

use crate::api::openapi::ERR_429;
use crate::config::{CameraConfig, Config, Protocol, slugify};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::xiaomi::devices::CloudDevice;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema, Debug, Default, PartialEq)]
pub struct SyncResult {
    /// Camera devices in the account, each now a camera.
    pub synced: usize,
    /// Cameras created by this sync.
    pub added: usize,
    /// Cameras whose device is no longer in the account (kept; listed in `vanished`).
    pub removed: usize,
    /// Cameras whose name or model changed.
    pub updated: usize,
    pub vanished: Vec<String>,
    /// The camera ids of the synced devices.
    pub cameras: Vec<String>,
}

/// A device name as a camera name: printable, at most 128 characters, never empty.
fn camera_name(d: &CloudDevice) -> String {
    let clean: String = d
        .name
        .chars()
        .filter(|c| !c.is_control())
        .take(128)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        format!("Xiaomi {}", d.did)
    } else {
        clean.to_string()
    }
}

fn new_camera(id: String, d: &CloudDevice) -> CameraConfig {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "name": camera_name(d),
        "protocol": "xiaomi",
        "encoding": "h265",
        "url": format!("xiaomi://{}", d.did),
        "did": d.did,
        "vendor": d.model,
    }))
    .expect("a camera from fixed fields")
}

/// Applies the cloud's camera list to the config; pure, so it is unit-tested.
pub fn apply(cfg: &mut Config, devices: &[CloudDevice]) -> SyncResult {
    let mut r = SyncResult::default();
    for d in devices
        .iter()
        .filter(|d| d.is_camera() && !d.did.is_empty())
    {
        r.synced += 1;
        if let Some(cam) = cfg
            .cameras
            .iter_mut()
            .find(|c| c.protocol == Protocol::Xiaomi && c.did == d.did)
        {
            let name = camera_name(d);
            if cam.name != name || cam.vendor != d.model {
                cam.name = name;
                cam.vendor = d.model.clone();
                r.updated += 1;
            }
            r.cameras.push(cam.id.clone());
            continue;
        }
        let base = slugify(&camera_name(d));
        let mut id = base.clone();
        let mut n = 2;
        while cfg.camera(&id).is_some() {
            id = format!("{base}-{n}");
            n += 1;
        }
        cfg.cameras.push(new_camera(id.clone(), d));
        r.added += 1;
        r.cameras.push(id);
    }
    r.vanished = cfg
        .cameras
        .iter()
        .filter(|c| c.protocol == Protocol::Xiaomi && !c.did.is_empty())
        .filter(|c| !devices.iter().any(|d| d.is_camera() && d.did == c.did))
        .map(|c| c.id.clone())
        .collect();
    r.removed = r.vanished.len();
    r
}

#[utoipa::path(post, path = "/api/xiaomi/sync", operation_id = "xiaomiSync", tag = "xiaomi", security(("basic" = [])),
    responses(
        (status = 200, body = SyncResult),
        (status = 401, description = "AUTH_REQUIRED/AUTH_FAILED (this NVR) or XIAOMI_AUTH_REQUIRED (not signed in to Xiaomi)", body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 502, description = "XIAOMI_CLOUD_ERROR: the cloud was unreachable, too slow, or answered nonsense", body = ErrorBody),
    ))]
pub async fn sync(State(app): State<AppState>) -> ApiResult<Json<SyncResult>> {
    let devices = super::xiaomi::cloud_devices(&app).await?;
    let result = app
        .config
        .update(|cfg| Ok::<_, ApiError>(apply(cfg, &devices)))
        .await?;
    app.pipelines.sync(&app.config.get());
    tracing::info!(
        synced = result.synced,
        added = result.added,
        updated = result.updated,
        vanished = result.removed,
        "xiaomi sync"
    );
    Ok(Json(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(did: &str, name: &str, model: &str) -> CloudDevice {
        serde_json::from_value(serde_json::json!({"did": did, "name": name, "model": model}))
            .unwrap()
    }

    #[test]
    fn cameras_are_added_renamed_and_vanished_ones_kept() {
        let mut cfg = Config::default();
        let first = vec![
            dev("1", "Front door", "chuangmi.camera.ipc019"),
            dev("2", "Front door", "isa.camera.hlc7"),
            dev("3", "Plug", "chuangmi.plug.m1"),
            dev("4", "\u{7}", "mijia.camera.v3"),
        ];
        let r = apply(&mut cfg, &first);
        assert_eq!((r.synced, r.added, r.updated, r.removed), (3, 3, 0, 0));
        assert_eq!(r.cameras, ["front-door", "front-door-2", "xiaomi-4"]);
        let c = cfg.camera("front-door").unwrap();
        assert_eq!(
            (c.protocol, c.url.as_str(), c.did.as_str()),
            (Protocol::Xiaomi, "xiaomi://1", "1")
        );
        assert_eq!(c.vendor, "chuangmi.camera.ipc019");
        crate::config::validate(&cfg).expect("synced cameras are valid");

        // The same list again changes nothing; a rename and a vanished device are reported.
        assert_eq!(apply(&mut cfg, &first).added, 0);
        cfg.camera_mut("front-door-2").unwrap().url = "rtsp://127.0.0.1:8554/bridge".into();
        let second = vec![
            dev("1", "Porch", "chuangmi.camera.ipc019"),
            dev("4", "", "mijia.camera.v3"),
        ];
        let r = apply(&mut cfg, &second);
        assert_eq!((r.synced, r.added, r.updated, r.removed), (2, 0, 1, 1));
        assert_eq!(r.vanished, ["front-door-2"]);
        assert_eq!(cfg.camera("front-door").unwrap().name, "Porch");
        let kept = cfg.camera("front-door-2").expect("kept");
        assert_eq!(
            kept.url, "rtsp://127.0.0.1:8554/bridge",
            "the user's URL stays"
        );
    }
}
