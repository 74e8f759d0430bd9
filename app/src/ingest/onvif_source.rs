//! The stream of an ONVIF camera given by its device service address: before each
//! connection attempt, the chosen profile's RTSP URI is asked of the device (it can change
//! when the camera reboots), then the camera is recorded as an RTSP camera.

use super::{SessionError, check_camera_host};
use crate::config::CameraConfig;
use crate::error::ErrorCode;
use crate::onvif::device::Device;

/// The camera with `url` replaced by the RTSP URI of its profile.
pub async fn resolve(cam: &CameraConfig) -> Result<CameraConfig, SessionError> {
    let to_session = |e: crate::error::ApiError| match e.code {
        _ if crate::onvif::credentials_refused(&e) => SessionError::Auth,
        ErrorCode::OnvifConnectionFailed | ErrorCode::CameraUnreachable => {
            SessionError::Rtsp(format!("ONVIF: {}", e.message))
        }
        _ => SessionError::Config(format!("ONVIF: {}", e.message)),
    };
    let dev = Device::connect(&cam.url, &cam.username, &cam.password)
        .await
        .map_err(to_session)?;
    let profile = dev.profile(&cam.onvif_profile).await.map_err(to_session)?;
    let uri = dev.stream_uri(&profile.token).await.map_err(to_session)?;
    if crate::config::Source::of(&uri, false) != crate::config::Source::Rtsp {
        return Err(SessionError::Config(format!(
            "ONVIF: profile {} streams at {uri:?}, not RTSP",
            profile.token
        )));
    }
    check_camera_host(&uri)?;
    tracing::info!(camera = %cam.id, profile = %profile.token, "ONVIF stream URI resolved");
    Ok(CameraConfig {
        url: uri,
        ..cam.clone()
    })
}
