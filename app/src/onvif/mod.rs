//! ONVIF: the client side of the cameras' SOAP services, on `oxvif` with our bounded
//! transport. Owns the mapping of every ONVIF failure to the API's error codes, and the
//! per-camera cache of connected devices (clock offset and service addresses).
//! See design/onvif.md.

pub mod device;
pub mod discover;
pub mod envelope;
pub mod fuzz;
pub mod imaging;
pub mod network;
pub mod ptz;
pub mod transport;

use crate::config::{CameraConfig, Protocol};
use crate::error::{ApiError, ErrorCode};
use crate::sync::LockExt;
use device::Device;
use oxvif::OnvifError;
use oxvif::soap::SoapError;
use oxvif::transport::TransportError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a connected device (its clock offset and service addresses) is reused.
const DEVICE_TTL: Duration = Duration::from_secs(120);

/// Which step failed: while finding out whether the peer is an ONVIF device at all, or an
/// operation on one that is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stage {
    Connect,
    Operation,
}

/// The words of every "credentials refused" error (see `credentials_refused`).
const CREDENTIALS_REFUSED: &str = "rejected the credentials";

/// Whether `e` says the device refused the camera's credentials (a persistent failure
/// for the recorder, not a dropped connection).
pub fn credentials_refused(e: &ApiError) -> bool {
    e.code == ErrorCode::OnvifConnectionFailed && e.message.contains(CREDENTIALS_REFUSED)
}

/// Maps an oxvif failure of `what` (an operation name) at `url` to the API error.
pub fn classify(err: &OnvifError, url: &str, what: &str, stage: Stage) -> ApiError {
    let not_onvif = |why: String| match stage {
        Stage::Connect => ApiError::new(
            ErrorCode::OnvifNotCamera,
            format!("{url} is not an ONVIF device ({what}: {why})"),
        ),
        Stage::Operation => ApiError::new(
            ErrorCode::CameraUnreachable,
            format!("the ONVIF device at {url} sent an invalid {what} reply: {why}"),
        ),
    };
    match err {
        OnvifError::Transport(TransportError::Http(e)) => {
            let why = if e.is_timeout() {
                format!(
                    "no answer within {} s",
                    transport::REQUEST_TIMEOUT.as_secs()
                )
            } else if e.is_connect() {
                "connection failed".to_string()
            } else {
                e.to_string()
            };
            ApiError::new(
                ErrorCode::OnvifConnectionFailed,
                format!("cannot reach the ONVIF device at {url}: {why}"),
            )
        }
        OnvifError::Transport(TransportError::HttpStatus { status, body }) => match *status {
            transport::REFUSED_REPLY_STATUS => not_onvif(body.clone()),
            401 | 403 => ApiError::new(
                ErrorCode::OnvifConnectionFailed,
                format!("the ONVIF device at {url} {CREDENTIALS_REFUSED} (HTTP {status})"),
            ),
            s => not_onvif(format!("HTTP {s}")),
        },
        OnvifError::Soap(SoapError::Fault {
            code,
            reason,
            subcode,
            ..
        }) => {
            let sub = subcode.as_deref().unwrap_or("");
            let local = sub.rsplit(':').next().unwrap_or(sub);
            match local {
                "NotAuthorized" | "FailedAuthentication" | "InvalidSecurity" => ApiError::new(
                    ErrorCode::OnvifConnectionFailed,
                    format!("the ONVIF device at {url} {CREDENTIALS_REFUSED}: {reason}"),
                ),
                "ActionNotSupported" | "NotSupported" | "NoImagingForSource" | "NoPTZProfile" => {
                    ApiError::new(
                        ErrorCode::NotImplemented,
                        format!("the camera does not support {what}: {reason}"),
                    )
                }
                "InvalidArgVal"
                | "InvalidArgs"
                | "SettingsInvalid"
                | "InvalidPosition"
                | "InvalidSpeed"
                | "InvalidTranslation"
                | "InvalidVelocity"
                | "NoToken"
                | "NoProfile"
                | "NoEntity"
                | "InvalidIPv4Address"
                | "InvalidNetworkInterface" => {
                    ApiError::invalid(format!("the camera refused {what}: {reason}"))
                }
                _ => ApiError::new(
                    ErrorCode::CameraUnreachable,
                    format!("the camera failed {what}: [{code} {sub}] {reason}"),
                ),
            }
        }
        OnvifError::Soap(e) => not_onvif(e.to_string()),
        OnvifError::InvalidArgument(m) => ApiError::invalid(m),
    }
}

/// The device service address of a camera: its `url` when it is `http(s)` and the camera is
/// ONVIF; the conventional `/onvif/device_service` on the host of an ONVIF camera given by
/// its RTSP address.
pub fn device_url(cam: &CameraConfig) -> Result<String, ApiError> {
    if cam.protocol != Protocol::Onvif {
        return Err(ApiError::new(
            ErrorCode::OnvifNotCamera,
            format!(
                "camera {} is not an ONVIF camera (protocol {})",
                cam.id,
                serde_json::to_value(cam.protocol)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
        ));
    }
    let url = url::Url::parse(&cam.url).map_err(|e| ApiError::invalid(format!("url: {e}")))?;
    if matches!(url.scheme(), "http" | "https") {
        return Ok(cam.url.clone());
    }
    let host = url
        .host_str()
        .ok_or_else(|| ApiError::invalid("url has no host"))?;
    Ok(format!("http://{host}/onvif/device_service"))
}

/// Refuses an address the daemon's mode does not allow (tests: loopback only).
pub fn check_host(url: &str) -> Result<(), ApiError> {
    crate::net_policy::check_url(url).map_err(ApiError::invalid)
}

/// (device url, username, password, profile): what a cached device was connected with.
type Key = (String, String, String, String);
type Entry = (Key, Instant, Arc<Device>);

/// Connected devices by camera, reused for `DEVICE_TTL`; a changed url or credentials
/// connect anew.
#[derive(Default)]
pub struct Devices {
    by_camera: Mutex<HashMap<String, Entry>>,
}

impl Devices {
    pub async fn for_camera(&self, cam: &CameraConfig) -> Result<Arc<Device>, ApiError> {
        let url = device_url(cam)?;
        let key = (
            url.clone(),
            cam.username.clone(),
            cam.password.clone(),
            cam.onvif_profile.clone(),
        );
        if let Some((k, at, dev)) = self.by_camera.locked().get(&cam.id)
            && *k == key
            && at.elapsed() < DEVICE_TTL
        {
            return Ok(dev.clone());
        }
        check_host(&url)?;
        let dev = Arc::new(Device::connect(&url, &cam.username, &cam.password).await?);
        self.by_camera
            .locked()
            .insert(cam.id.clone(), (key, Instant::now(), dev.clone()));
        Ok(dev)
    }

    /// Drops a camera's device, e.g. after a reboot or a failed call.
    pub fn forget(&self, camera_id: &str) {
        self.by_camera.locked().remove(camera_id);
    }
}
