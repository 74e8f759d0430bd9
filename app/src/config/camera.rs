//! One camera's configuration as stored in the config file, its enums, and id slugs.

use crate::duration::HumanDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the daemon talks to the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Rtsp,
    Onvif,
    Http,
    Xiaomi,
}

/// The video codec the camera sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    H264,
    H265,
    Mjpeg,
}

/// RTSP transport: TCP interleaved (default) or UDP (LAN only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum RtspTransport {
    #[default]
    Tcp,
    Udp,
}

impl Protocol {
    pub fn default_encoding(self) -> Encoding {
        match self {
            Protocol::Http => Encoding::Mjpeg,
            Protocol::Xiaomi => Encoding::H265,
            Protocol::Rtsp | Protocol::Onvif => Encoding::H264,
        }
    }
}

/// Per-camera merge overrides; absent fields fall back to the global `merge` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MergeOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub check_interval: Option<HumanDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub window_size: Option<HumanDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub min_segment_age: Option<HumanDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_segments_to_merge: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    pub id: String,
    pub name: String,
    pub protocol: Protocol,
    pub encoding: Encoding,
    pub url: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// None: the global `cleanup.retention_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub sub_stream_url: String,
    #[serde(default)]
    pub snapshot_url: String,
    /// ONVIF cameras: the media profile (token or name) to record; empty = the first.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub onvif_profile: String,
    #[serde(default = "one")]
    pub sample_interval: u32,
    #[serde(default)]
    pub hls_max_fps: u32,
    #[serde(default)]
    pub did: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub rtsp_transport: RtspTransport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeOverride>,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}

/// How a stream address is reached: the one classification of a camera's source (ingest,
/// live view, test connection and snapshots all ask it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `rtsp://` or `rtsps://`: RTSP (H.264, H.265 or MJPEG).
    Rtsp,
    /// `http(s)://` of a camera that is not an ONVIF device: MJPEG over HTTP (a multipart
    /// stream or a polled JPEG).
    HttpMjpeg,
    /// `http(s)://` of an ONVIF camera: its device service, asked for the RTSP URI.
    OnvifDevice,
    /// Any other scheme.
    Unsupported,
}

impl Source {
    /// The source at `url`; `onvif` says whether an HTTP address is an ONVIF device service.
    pub fn of(url: &str, onvif: bool) -> Self {
        let u = url.trim_start().to_ascii_lowercase();
        if u.starts_with("rtsp://") || u.starts_with("rtsps://") {
            Source::Rtsp
        } else if u.starts_with("http://") || u.starts_with("https://") {
            if onvif {
                Source::OnvifDevice
            } else {
                Source::HttpMjpeg
            }
        } else {
            Source::Unsupported
        }
    }
}

impl CameraConfig {
    /// Where the camera's main stream comes from.
    pub fn source(&self) -> Source {
        Source::of(&self.url, self.protocol == Protocol::Onvif)
    }

    /// Whether this daemon can record the camera: RTSP (H.264, H.265, MJPEG) for the RTSP,
    /// Xiaomi and ONVIF protocols, an ONVIF device address, or HTTP MJPEG for `http`.
    pub fn recordable(&self) -> bool {
        matches!(
            (self.protocol, self.source()),
            (
                Protocol::Rtsp | Protocol::Xiaomi | Protocol::Onvif,
                Source::Rtsp
            ) | (Protocol::Onvif, Source::OnvifDevice)
                | (Protocol::Http, Source::HttpMjpeg)
        )
    }

    /// A camera with every optional setting at its default.
    pub fn new(id: &str, name: &str, protocol: Protocol, encoding: Encoding, url: &str) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            protocol,
            encoding,
            url: url.into(),
            enabled: true,
            retention_days: None,
            username: String::new(),
            password: String::new(),
            sub_stream_url: String::new(),
            snapshot_url: String::new(),
            onvif_profile: String::new(),
            sample_interval: 1,
            hls_max_fps: 0,
            did: String::new(),
            vendor: String::new(),
            rtsp_transport: RtspTransport::Tcp,
            merge: None,
        }
    }

    #[cfg(test)]
    pub fn new_for_test(id: &str) -> Self {
        Self {
            retention_days: Some(7),
            username: "u".into(),
            password: "p".into(),
            merge: Some(MergeOverride {
                enabled: Some(false),
                ..Default::default()
            }),
            ..Self::new(
                id,
                id,
                Protocol::Rtsp,
                Encoding::H264,
                "rtsp://127.0.0.1:8554/test",
            )
        }
    }
}

/// Derives a camera id from a name: lowercase ASCII letters and digits joined by `-`
/// (`Front Door` → `front-door`); at most 60 characters so `-NN` suffixes still fit in 64.
/// What the API shows for a password inside a URL's userinfo.
pub const URL_PASSWORD_MASK: &str = "***";

/// A URL as the API shows it: a password in its userinfo replaced by `***` (the API never
/// returns a password, wherever it was typed).
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some_and(|p| !p.is_empty()) => {
            let _ = u.set_password(Some(URL_PASSWORD_MASK));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

/// A URL sent back by a client: where it carries the `***` mask and the stored URL had a
/// password for the same user, the stored password is put back (an edit form that shows the
/// masked URL must not overwrite the real password with the mask).
pub fn unredact_url(new: &str, stored: &str) -> String {
    let (Ok(mut n), Ok(s)) = (url::Url::parse(new), url::Url::parse(stored)) else {
        return new.to_string();
    };
    match (n.password(), s.password()) {
        (Some(URL_PASSWORD_MASK), Some(real)) if n.username() == s.username() => {
            let real = real.to_string();
            let _ = n.set_password(Some(&real));
            n.to_string()
        }
        _ => new.to_string(),
    }
}

pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars().flat_map(|c| c.to_lowercase()) {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut s: String = out.trim_end_matches('-').chars().take(60).collect();
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() { "camera".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::{redact_url, slugify, unredact_url};

    #[test]
    fn slugs() {
        assert_eq!(slugify("Front Door"), "front-door");
        assert_eq!(slugify("  Garage -- Left!! "), "garage-left");
        assert_eq!(slugify("Café Ünïcode"), "caf-n-code");
        assert_eq!(slugify("***"), "camera");
        assert_eq!(slugify(&"x".repeat(100)).len(), 60);
    }

    #[test]
    fn url_passwords_are_masked_and_restored() {
        let stored = "rtsp://bob:hunter2@127.0.0.1:554/live";
        let shown = redact_url(stored);
        assert_eq!(shown, "rtsp://bob:***@127.0.0.1:554/live");
        assert_eq!(redact_url("rtsp://127.0.0.1/x"), "rtsp://127.0.0.1/x");
        assert_eq!(
            redact_url("rtsp://bob@127.0.0.1/x"),
            "rtsp://bob@127.0.0.1/x"
        );
        assert_eq!(unredact_url(&shown, stored), stored);
        let moved = "rtsp://bob:***@127.0.0.1:8554/other";
        assert_eq!(
            unredact_url(moved, stored),
            "rtsp://bob:hunter2@127.0.0.1:8554/other"
        );
        // A new user or a new password is taken as typed.
        assert_eq!(
            unredact_url("rtsp://eve:***@127.0.0.1/x", stored),
            "rtsp://eve:***@127.0.0.1/x"
        );
        assert_eq!(
            unredact_url("rtsp://bob:new@127.0.0.1/x", stored),
            "rtsp://bob:new@127.0.0.1/x"
        );
    }
}
