//! One connected ONVIF device: its clock offset (from GetSystemDateAndTime, so WS-Security
//! timestamps match the device's clock), its service addresses (GetCapabilities), and the
//! device and media operations: information, profiles with their encoders, stream and
//! snapshot URIs, reboot. Also `call`, for requests we build ourselves where oxvif's are not
//! schema-valid (see design/onvif.md).

use super::transport::Bounded;
use super::{Stage, classify};
use crate::error::{ApiError, ErrorCode};
use oxvif::soap::{SoapEnvelope, WsSecurityToken, XmlNode, find_response, parse_soap_body};
use oxvif::transport::Transport;
use oxvif::{OnvifClient, OnvifError};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

pub struct Device {
    pub url: String,
    client: OnvifClient,
    transport: Arc<Bounded>,
    credentials: Option<(String, String)>,
    utc_offset_s: i64,
    pub media_url: String,
    pub ptz_url: Option<String>,
    pub imaging_url: Option<String>,
    pub events_url: Option<String>,
    /// The snapshot URI of the camera's profile, asked once.
    pub snapshot: tokio::sync::OnceCell<String>,
}

/// `GET /api/onvif/discover/{ip}`'s `device_info`, and the enrichment of discovery results.
#[derive(Debug, Clone, Serialize, ToSchema, Default)]
pub struct DeviceInfo {
    pub manufacturer: String,
    pub model: String,
    pub firmware: String,
    pub serial_number: String,
}

/// A media profile: both shapes of the spec (`encoding`/`width`/`height` and
/// `video_encoder`/`audio_encoder`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    pub token: String,
    pub name: String,
    /// `H264`, `H265`, `JPEG`; empty when the device does not say.
    pub encoding: String,
    pub width: u32,
    pub height: u32,
    pub video_encoder: String,
    /// `G711`, `AAC`, ...; null without audio.
    pub audio_encoder: Option<String>,
    #[serde(skip)]
    pub ptz_config_token: Option<String>,
    #[serde(skip)]
    pub video_source_token: Option<String>,
}

/// Replaces the host (and, with `with_port`, scheme and port) of a URL the device reported
/// with those of the address we reach it at: devices behind NAT or with a stale idea of
/// their own address report unreachable service and stream addresses.
pub fn rebase(reported: &str, reached: &str, with_port: bool) -> String {
    let (Ok(mut r), Ok(base)) = (url::Url::parse(reported), url::Url::parse(reached)) else {
        return reported.to_string();
    };
    if r.host_str() == base.host_str() && (!with_port || r.port() == base.port()) {
        return reported.to_string();
    }
    if r.set_host(base.host_str()).is_err() {
        return reported.to_string();
    }
    if with_port {
        let _ = r.set_scheme(base.scheme());
        let _ = r.set_port(base.port());
    }
    r.to_string()
}

impl Device {
    /// Connects: reads the device clock (unauthenticated, as ONVIF allows), then the
    /// service addresses with credentials.
    pub async fn connect(url: &str, user: &str, pass: &str) -> Result<Self, ApiError> {
        let credentials = (!user.is_empty()).then(|| (user.to_string(), pass.to_string()));
        let transport = Arc::new(Bounded::new(credentials.clone()));
        let anonymous = OnvifClient::new(url).with_transport(transport.clone());
        let utc_offset_s = match anonymous.get_system_date_and_time().await {
            Ok(t) => t.utc_offset_secs(),
            // Some devices want credentials even for this: assume our clock.
            Err(OnvifError::Soap(oxvif::soap::SoapError::Fault { .. })) => 0,
            Err(e) => return Err(classify(&e, url, "GetSystemDateAndTime", Stage::Connect)),
        };
        let mut client = OnvifClient::new(url)
            .with_transport(transport.clone())
            .with_utc_offset(utc_offset_s);
        if let Some((u, p)) = &credentials {
            client = client.with_credentials(u, p);
        }
        let caps = client
            .get_capabilities()
            .await
            .map_err(|e| classify(&e, url, "GetCapabilities", Stage::Connect))?;
        let service =
            |u: Option<String>| u.filter(|s| !s.is_empty()).map(|s| rebase(&s, url, true));
        let media_url = service(caps.media.url).ok_or_else(|| {
            ApiError::new(
                ErrorCode::OnvifNotCamera,
                format!("{url} is an ONVIF device without a media service (not a camera)"),
            )
        })?;
        Ok(Self {
            url: url.to_string(),
            client,
            transport,
            credentials,
            utc_offset_s,
            media_url,
            ptz_url: service(caps.ptz.url),
            imaging_url: service(caps.imaging.url),
            events_url: service(caps.events.url),
            snapshot: tokio::sync::OnceCell::new(),
        })
    }

    pub fn client(&self) -> &OnvifClient {
        &self.client
    }

    /// Maps a failed operation's error.
    pub fn fail<'a>(&'a self, what: &'a str) -> impl Fn(OnvifError) -> ApiError + 'a {
        move |e| classify(&e, &self.url, what, Stage::Operation)
    }

    /// Sends a request body we built (prefixes as oxvif's envelope declares them) and
    /// returns the `{operation}Response` element's parsed body.
    pub async fn call(
        &self,
        service_url: &str,
        action: &str,
        body: &str,
        response: &str,
    ) -> Result<XmlNode, OnvifError> {
        let mut envelope = SoapEnvelope::new(body.to_string()).with_wsa_to(service_url);
        if let Some((u, p)) = &self.credentials {
            envelope = envelope.with_security(WsSecurityToken::generate(u, p, self.utc_offset_s));
        }
        let xml = self
            .transport
            .soap_post(service_url, action, envelope.build())
            .await?;
        let body = parse_soap_body(&xml)?;
        Ok(find_response(&body, response)?.clone())
    }

    pub async fn info(&self) -> Result<DeviceInfo, ApiError> {
        let i = self
            .client
            .get_device_info()
            .await
            .map_err(self.fail("GetDeviceInformation"))?;
        Ok(DeviceInfo {
            manufacturer: i.manufacturer,
            model: i.model,
            firmware: i.firmware_version,
            serial_number: i.serial_number,
        })
    }

    /// The media profiles with their encoders, read from GetProfiles itself (oxvif's
    /// profile type drops the encoder configurations; asking for them separately costs
    /// two more requests that some cameras do not implement).
    pub async fn profiles(&self) -> Result<Vec<Profile>, ApiError> {
        let resp = self
            .call(
                &self.media_url,
                "http://www.onvif.org/ver10/media/wsdl/GetProfiles",
                "<trt:GetProfiles/>",
                "GetProfilesResponse",
            )
            .await
            .map_err(self.fail("GetProfiles"))?;
        let profiles: Vec<Profile> = resp
            .children_named("Profiles")
            .take(MAX_PROFILES)
            .filter_map(parse_profile)
            .collect();
        if profiles.is_empty() {
            return Err(ApiError::new(
                ErrorCode::OnvifNoProfiles,
                format!("the ONVIF device at {} has no media profiles", self.url),
            ));
        }
        Ok(profiles)
    }

    /// The profile to use: the one named `wanted` (a token or a name), else the first.
    pub async fn profile(&self, wanted: &str) -> Result<Profile, ApiError> {
        let profiles = self.profiles().await?;
        pick(profiles, wanted).ok_or_else(|| {
            ApiError::new(
                ErrorCode::OnvifNoProfiles,
                format!(
                    "the ONVIF device at {} has no profile {wanted:?} (onvif_profile)",
                    self.url
                ),
            )
        })
    }

    pub async fn stream_uri(&self, profile_token: &str) -> Result<String, ApiError> {
        let u = self
            .client
            .get_stream_uri(&self.media_url, profile_token)
            .await
            .map_err(self.fail("GetStreamUri"))?;
        Ok(rebase(&u.uri, &self.url, false))
    }

    pub async fn snapshot_uri(&self, profile_token: &str) -> Result<String, ApiError> {
        let u = self
            .client
            .get_snapshot_uri(&self.media_url, profile_token)
            .await
            .map_err(self.fail("GetSnapshotUri"))?;
        if u.uri.is_empty() {
            return Err(ApiError::new(
                ErrorCode::NotImplemented,
                "the camera has no snapshot URI",
            ));
        }
        Ok(rebase(&u.uri, &self.url, false))
    }

    pub async fn reboot(&self) -> Result<String, ApiError> {
        self.client
            .system_reboot()
            .await
            .map_err(self.fail("SystemReboot"))
    }
}

/// Profiles read at most (a 64-channel NVR has 128-192).
const MAX_PROFILES: usize = 256;

/// One `Profiles` element of GetProfilesResponse; `None` without a token.
pub fn parse_profile(p: &XmlNode) -> Option<Profile> {
    let token = p.attr("token").filter(|t| !t.is_empty())?.to_string();
    let text = |path: &[&str]| p.path(path).map(|n| n.text().trim().to_string());
    let num = |path: &[&str]| text(path).and_then(|t| t.parse::<u32>().ok()).unwrap_or(0);
    let video = ["VideoEncoderConfiguration", "Encoding"];
    let encoding = text(&video).unwrap_or_default().to_ascii_uppercase();
    Some(Profile {
        name: text(&["Name"]).unwrap_or_else(|| token.clone()),
        token,
        video_encoder: encoding.clone(),
        encoding,
        width: num(&["VideoEncoderConfiguration", "Resolution", "Width"]),
        height: num(&["VideoEncoderConfiguration", "Resolution", "Height"]),
        audio_encoder: text(&["AudioEncoderConfiguration", "Encoding"]).filter(|e| !e.is_empty()),
        ptz_config_token: p
            .child("PTZConfiguration")
            .and_then(|c| c.attr("token"))
            .map(str::to_string),
        video_source_token: text(&["VideoSourceConfiguration", "SourceToken"])
            .filter(|t| !t.is_empty()),
    })
}

/// `wanted` by token, then by name; empty `wanted`: the first profile.
pub fn pick(profiles: Vec<Profile>, wanted: &str) -> Option<Profile> {
    if wanted.is_empty() {
        return profiles.into_iter().next();
    }
    let by_token = profiles.iter().position(|p| p.token == wanted);
    let i = by_token.or_else(|| profiles.iter().position(|p| p.name == wanted))?;
    profiles.into_iter().nth(i)
}

#[cfg(test)]
mod tests {
    use super::rebase;

    #[test]
    fn rebase_moves_reported_addresses_to_the_reached_host() {
        let reached = "http://10.0.0.5:8080/onvif/device_service";
        assert_eq!(
            rebase("http://192.168.1.9/onvif/media", reached, true),
            "http://10.0.0.5:8080/onvif/media"
        );
        assert_eq!(
            rebase("rtsp://192.168.1.9:554/s0", reached, false),
            "rtsp://10.0.0.5:554/s0"
        );
        let same = "http://10.0.0.5:8080/onvif/ptz";
        assert_eq!(rebase(same, reached, true), same);
        assert_eq!(rebase("not a url", reached, true), "not a url");
    }
}
