//! Partial updates: the request bodies of the settings, features and camera PUTs. Every field
//! is optional, unknown fields are rejected, and `apply` edits a copy of the config that the
//! store validates before anything is written.

use super::{CameraConfig, Config, Encoding, MergeOverride, Protocol, RtspTransport};
use crate::duration::HumanDuration;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerPatch {
    /// `:PORT` or `HOST:PORT`; applied at the next start.
    #[schema(pattern = r":[0-9]{1,5}$")]
    pub listen: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoragePatch {
    /// Applied at the next start.
    #[schema(min_length = 1, max_length = 4096)]
    pub root_dir: Option<String>,
    pub segment_duration: Option<HumanDuration>,
    pub sync_interval: Option<HumanDuration>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanupPatch {
    #[schema(minimum = 1, maximum = 3650)]
    pub retention_days: Option<u32>,
    pub check_interval: Option<HumanDuration>,
    #[schema(minimum = 50, maximum = 99)]
    pub disk_threshold_percent: Option<u8>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitPatch {
    #[schema(minimum = 1, maximum = 10000)]
    pub max_failures: Option<u32>,
    pub window: Option<HumanDuration>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthPatch {
    #[schema(min_length = 1, max_length = 64)]
    pub username: Option<String>,
    /// A new password, hashed with argon2id by the daemon; `""` turns authentication off.
    #[schema(max_length = 1024)]
    pub password: Option<String>,
    /// A ready argon2id or bcrypt hash (e.g. from `mibee-nvr hash-password`).
    pub password_hash: Option<String>,
    pub verify_cache_ttl: Option<HumanDuration>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub rate_limit: Option<RateLimitPatch>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergePatch {
    pub enabled: Option<bool>,
    pub check_interval: Option<HumanDuration>,
    pub window_size: Option<HumanDuration>,
    #[schema(minimum = 1, maximum = 100000)]
    pub batch_limit: Option<u32>,
    pub min_segment_age: Option<HumanDuration>,
    #[schema(minimum = 2, maximum = 100000)]
    pub min_segments_to_merge: Option<u32>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LivePatch {
    #[schema(minimum = 1, maximum = 64)]
    pub max_streams: Option<u32>,
    pub idle_timeout: Option<HumanDuration>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct XiaomiPatch {
    pub account_url: Option<String>,
    pub api_url: Option<String>,
    pub region: Option<String>,
    pub timeout: Option<HumanDuration>,
}

/// Body of `PUT /api/settings`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "object_or_null")]
    pub server: Option<ServerPatch>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub storage: Option<StoragePatch>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub cleanup: Option<CleanupPatch>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub auth: Option<AuthPatch>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub merge: Option<MergePatch>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub live: Option<LivePatch>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub xiaomi: Option<XiaomiPatch>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub time: Option<TimePatch>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimePatch {
    /// NTP servers (host names or IP addresses), at most 8; `[]`: the board's defaults.
    #[schema(max_items = 8)]
    pub ntp_servers: Option<Vec<String>>,
}

/// Body of `PUT /api/features`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeaturesPatch {
    pub experimental_hls: Option<bool>,
    pub auto_delete_old: Option<bool>,
    pub webdav_upload: Option<bool>,
}

/// Body of `PUT /api/cameras/{id}`: every field optional. `password: ""` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraPatch {
    #[schema(min_length = 1, max_length = 128)]
    pub name: Option<String>,
    pub protocol: Option<Protocol>,
    pub encoding: Option<Encoding>,
    #[schema(pattern = r"^[A-Za-z][A-Za-z0-9+.-]*://", max_length = 2048)]
    pub url: Option<String>,
    pub enabled: Option<bool>,
    /// `null` returns the camera to the global retention.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    pub retention_days: Option<Option<u32>>,
    #[schema(max_length = 128)]
    pub username: Option<String>,
    #[schema(max_length = 256)]
    pub password: Option<String>,
    #[schema(pattern = r"^$|^[A-Za-z][A-Za-z0-9+.-]*://", max_length = 2048)]
    pub sub_stream_url: Option<String>,
    #[schema(pattern = r"^$|^[A-Za-z][A-Za-z0-9+.-]*://", max_length = 2048)]
    pub snapshot_url: Option<String>,
    #[schema(max_length = 64)]
    pub onvif_profile: Option<String>,
    #[schema(minimum = 1, maximum = 86400)]
    pub sample_interval: Option<u32>,
    #[schema(minimum = 0, maximum = 120)]
    pub hls_max_fps: Option<u32>,
    #[schema(max_length = 128)]
    pub did: Option<String>,
    #[schema(max_length = 128)]
    pub vendor: Option<String>,
    pub rtsp_transport: Option<RtspTransport>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn set<T>(dst: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *dst = v;
    }
}

impl MergePatch {
    pub fn apply_global(self, m: &mut super::MergeConfig) {
        set(&mut m.enabled, self.enabled);
        set(&mut m.check_interval, self.check_interval);
        set(&mut m.window_size, self.window_size);
        set(&mut m.batch_limit, self.batch_limit);
        set(&mut m.min_segment_age, self.min_segment_age);
        set(&mut m.min_segments_to_merge, self.min_segments_to_merge);
    }

    /// Merges into a per-camera override: given fields replace, absent ones stay.
    pub fn apply_override(self, o: &mut MergeOverride) {
        let opt = |dst: &mut Option<HumanDuration>, v: Option<HumanDuration>| {
            if v.is_some() {
                *dst = v;
            }
        };
        if self.enabled.is_some() {
            o.enabled = self.enabled;
        }
        opt(&mut o.check_interval, self.check_interval);
        opt(&mut o.window_size, self.window_size);
        opt(&mut o.min_segment_age, self.min_segment_age);
        if self.batch_limit.is_some() {
            o.batch_limit = self.batch_limit;
        }
        if self.min_segments_to_merge.is_some() {
            o.min_segments_to_merge = self.min_segments_to_merge;
        }
    }
}

impl SettingsPatch {
    /// Applies everything except the auth password (hashing is async; see the handler).
    pub fn apply(self, cfg: &mut Config) {
        if let Some(s) = self.server {
            set(&mut cfg.server.listen, s.listen);
        }
        if let Some(s) = self.storage {
            set(&mut cfg.storage.root_dir, s.root_dir);
            set(&mut cfg.storage.segment_duration, s.segment_duration);
            set(&mut cfg.storage.sync_interval, s.sync_interval);
        }
        if let Some(c) = self.cleanup {
            set(&mut cfg.cleanup.retention_days, c.retention_days);
            set(&mut cfg.cleanup.check_interval, c.check_interval);
            set(
                &mut cfg.cleanup.disk_threshold_percent,
                c.disk_threshold_percent,
            );
        }
        if let Some(a) = self.auth {
            set(&mut cfg.auth.username, a.username);
            set(&mut cfg.auth.password_hash, a.password_hash);
            set(&mut cfg.auth.verify_cache_ttl, a.verify_cache_ttl);
            if let Some(r) = a.rate_limit {
                set(&mut cfg.auth.rate_limit.max_failures, r.max_failures);
                set(&mut cfg.auth.rate_limit.window, r.window);
            }
        }
        if let Some(m) = self.merge {
            m.apply_global(&mut cfg.merge);
        }
        if let Some(l) = self.live {
            set(&mut cfg.live.max_streams, l.max_streams);
            set(&mut cfg.live.idle_timeout, l.idle_timeout);
        }
        if let Some(x) = self.xiaomi {
            set(&mut cfg.xiaomi.account_url, x.account_url);
            set(&mut cfg.xiaomi.api_url, x.api_url);
            set(&mut cfg.xiaomi.region, x.region);
            set(&mut cfg.xiaomi.timeout, x.timeout);
        }
        if let Some(t) = self.time {
            set(&mut cfg.time.ntp_servers, t.ntp_servers);
        }
    }
}

impl FeaturesPatch {
    pub fn apply(self, f: &mut super::Features) {
        set(&mut f.experimental_hls, self.experimental_hls);
        set(&mut f.auto_delete_old, self.auto_delete_old);
        set(&mut f.webdav_upload, self.webdav_upload);
    }
}

impl CameraPatch {
    pub fn apply(self, cam: &mut CameraConfig) {
        set(&mut cam.name, self.name);
        set(&mut cam.protocol, self.protocol);
        set(&mut cam.encoding, self.encoding);
        set(&mut cam.url, self.url);
        set(&mut cam.enabled, self.enabled);
        set(&mut cam.retention_days, self.retention_days);
        set(&mut cam.username, self.username);
        set(&mut cam.password, self.password);
        set(&mut cam.sub_stream_url, self.sub_stream_url);
        set(&mut cam.snapshot_url, self.snapshot_url);
        set(&mut cam.onvif_profile, self.onvif_profile);
        set(&mut cam.sample_interval, self.sample_interval);
        set(&mut cam.hls_max_fps, self.hls_max_fps);
        set(&mut cam.did, self.did);
        set(&mut cam.vendor, self.vendor);
        set(&mut cam.rtsp_transport, self.rtsp_transport);
    }
}

/// `deserialize_with` for nested sections of a request body: only a JSON object (or null,
/// meaning absent) is accepted. Without it serde would also take an array as a struct.
pub fn object_or_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        v @ serde_json::Value::Object(_) => serde_json::from_value(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "expected an object, got {other}"
        ))),
    }
}
