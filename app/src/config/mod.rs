//! The configuration model: one TOML file holding every setting and the camera list, its
//! defaults, and (in submodules) validation, partial-update patches and atomic storage.

mod camera;
mod patch;
mod store;
mod validate;

pub use camera::{
    CameraConfig, Encoding, MergeOverride, Protocol, RtspTransport, Source, redact_url, slugify,
    unredact_url,
};
pub use patch::{
    AuthPatch, CameraPatch, CleanupPatch, FeaturesPatch, LivePatch, MergePatch, RateLimitPatch,
    ServerPatch, SettingsPatch, StoragePatch, TimePatch, object_or_null,
};
pub use store::{ConfigStore, check_file};
pub use validate::{ValidationError, XIAOMI_REGIONS, valid_camera_id, validate};

use crate::duration::HumanDuration;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

/// The fully commented example; written as the config on first start.
pub const EXAMPLE_TOML: &str = include_str!("../../mibee-nvr.example.toml");

/// Everything in the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub cleanup: CleanupConfig,
    pub auth: AuthConfig,
    pub merge: MergeConfig,
    pub live: LiveConfig,
    pub features: Features,
    pub xiaomi: XiaomiConfig,
    pub time: TimeConfig,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<CameraConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// `:port` (all interfaces) or `host:port`.
    pub listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: ":9090".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Where recordings live; relative paths are relative to the data dir.
    pub root_dir: String,
    /// Length of one recording (the API's segment), cut at the next keyframe.
    pub segment_duration: HumanDuration,
    /// Longest time written video may wait for fdatasync (bounds loss on power cut).
    pub sync_interval: HumanDuration,
}

impl StorageConfig {
    /// `segment_duration` in nanoseconds.
    pub fn segment_ns(&self) -> i64 {
        self.segment_duration.as_duration().as_nanos() as i64
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            root_dir: "recordings".into(),
            segment_duration: HumanDuration::from_secs(30),
            sync_interval: HumanDuration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CleanupConfig {
    pub retention_days: u32,
    pub check_interval: HumanDuration,
    pub disk_threshold_percent: u8,
}

impl Default for CleanupConfig {
    fn default() -> Self {
        Self {
            retention_days: 30,
            check_interval: HumanDuration::from_secs(3600),
            disk_threshold_percent: 95,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub username: String,
    /// argon2id (or imported bcrypt) PHC string; empty = auth bypassed.
    pub password_hash: String,
    /// Provisioning only: a plaintext password hashed at start and then removed from the file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// How long a successful verification is remembered.
    pub verify_cache_ttl: HumanDuration,
    pub rate_limit: RateLimitConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            username: "admin".into(),
            password_hash: String::new(),
            password: String::new(),
            verify_cache_ttl: HumanDuration::from_secs(300),
            rate_limit: RateLimitConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Failed attempts from one address within `window` before it gets 429.
    pub max_failures: u32,
    pub window: HumanDuration,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window: HumanDuration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MergeConfig {
    pub enabled: bool,
    pub check_interval: HumanDuration,
    pub window_size: HumanDuration,
    pub batch_limit: u32,
    pub min_segment_age: HumanDuration,
    pub min_segments_to_merge: u32,
}

impl Default for MergeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            check_interval: HumanDuration::from_secs(3600),
            window_size: HumanDuration::from_secs(3600),
            batch_limit: 200,
            min_segment_age: HumanDuration::from_secs(600),
            min_segments_to_merge: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// Concurrent live streams; one more gets 503 HLS_MAX_STREAMS.
    pub max_streams: u32,
    /// A live session nobody fetched from for this long ends.
    pub idle_timeout: HumanDuration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            max_streams: 4,
            idle_timeout: HumanDuration::from_secs(30),
        }
    }
}

/// The Xiaomi cloud: where its account and API hosts are (tests point them at a local fake),
/// the default region, and how long one cloud request may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct XiaomiConfig {
    /// The account host (login, captcha, identity verification).
    pub account_url: String,
    /// The API base; `{region}.` is replaced by `<region>.`, or removed for `cn`.
    pub api_url: String,
    /// One of cn, de, us, ru, tw, sg, in, i2.
    pub region: String,
    pub timeout: HumanDuration,
}

impl Default for XiaomiConfig {
    fn default() -> Self {
        Self {
            account_url: "https://account.xiaomi.com".into(),
            api_url: "https://{region}.api.io.mi.com/app".into(),
            region: "cn".into(),
            timeout: HumanDuration::from_secs(10),
        }
    }
}

/// The box's clock (design/time.md): the NTP servers the appliance's ntpd asks.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TimeConfig {
    /// Host names or IP addresses, at most 8; empty: the board's defaults (pool.ntp.org). A
    /// camera LAN without internet can name a local server (a router often is one).
    pub ntp_servers: Vec<String>,
}

/// Feature flags (`GET|PUT /api/features`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    pub experimental_hls: bool,
    pub auto_delete_old: bool,
    pub webdav_upload: bool,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            experimental_hls: false,
            auto_delete_old: true,
            webdav_upload: false,
        }
    }
}

impl Config {
    /// Parses TOML text into a config; unknown keys are errors. Does not validate.
    pub fn from_toml(text: &str) -> Result<Self, ValidationError> {
        toml::from_str(text).map_err(|e| ValidationError::new("config", e.message().to_string()))
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("config serializes");
        format!(
            "# MiBee NVR configuration, written by the daemon.\n\
             # Every key is documented in mibee-nvr.example.toml.\n\n{body}"
        )
    }

    pub fn camera(&self, id: &str) -> Option<&CameraConfig> {
        self.cameras.iter().find(|c| c.id == id)
    }

    pub fn camera_mut(&mut self, id: &str) -> Option<&mut CameraConfig> {
        self.cameras.iter_mut().find(|c| c.id == id)
    }

    /// The recordings directory, resolving a relative `storage.root_dir` against `data_dir`.
    pub fn storage_root(&self, data_dir: &Path) -> PathBuf {
        let p = Path::new(&self.storage.root_dir);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            data_dir.join(p)
        }
    }

    /// The socket address to bind: `:9090` means all interfaces.
    pub fn listen_addr(&self) -> String {
        let l = &self.server.listen;
        if let Some(port) = l.strip_prefix(':') {
            format!("0.0.0.0:{port}")
        } else {
            l.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_classifier_for_a_cameras_source() {
        let cam = |p, url: &str| CameraConfig::new("c", "c", p, Encoding::H264, url);
        use Protocol::*;
        for (p, url, source, recordable) in [
            (Rtsp, "rtsp://h/a", Source::Rtsp, true),
            (Rtsp, "RTSPS://h/a", Source::Rtsp, true),
            (Xiaomi, "rtsp://h/a", Source::Rtsp, true),
            (Onvif, "rtsp://h/a", Source::Rtsp, true),
            (
                Onvif,
                "http://h/onvif/device_service",
                Source::OnvifDevice,
                true,
            ),
            (Http, "http://h/mjpeg", Source::HttpMjpeg, true),
            (Http, "rtsp://h/a", Source::Rtsp, false),
            (Rtsp, "http://h/mjpeg", Source::HttpMjpeg, false),
            (Rtsp, "rtspx://h/a", Source::Unsupported, false),
            (Rtsp, "ftp://h/a", Source::Unsupported, false),
        ] {
            let c = cam(p, url);
            assert_eq!(c.source(), source, "{p:?} {url}");
            assert_eq!(c.recordable(), recordable, "{p:?} {url}");
        }
        assert_eq!(Source::of("http://h/x", false), Source::HttpMjpeg);
    }

    #[test]
    fn example_is_the_default_config() {
        let cfg = Config::from_toml(EXAMPLE_TOML).expect("example parses");
        assert_eq!(
            cfg,
            Config::default(),
            "example must document exactly the defaults"
        );
        validate(&cfg).expect("defaults validate");
    }

    #[test]
    fn written_config_roundtrips() {
        let mut cfg = Config::default();
        cfg.cameras.push(CameraConfig::new_for_test("cam-1"));
        let text = cfg.to_toml();
        assert_eq!(Config::from_toml(&text).unwrap(), cfg);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Config::from_toml("[server]\nlisten = \":1\"\nlistne = 2\n").unwrap_err();
        assert!(err.to_string().contains("listne"), "{err}");
    }
}
