//! The one validation function: boot and every PUT go through `validate`, so whatever the
//! API accepts is accepted at the next start, and vice versa.

use super::{CameraConfig, Config, Encoding, MergeOverride, Protocol};
use crate::duration::HumanDuration;
use std::collections::HashSet;
use std::time::Duration;

/// A rejected setting: which key, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: String,
    pub message: String,
    /// A path that climbs out of where it belongs (`..`): the spec's `PATH_TRAVERSAL`.
    pub traversal: bool,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            traversal: false,
        }
    }
}

/// Where recordings may not go: the system's own trees (the daemon runs as root on the box).
const SYSTEM_DIRS: [&str; 10] = [
    "/", "/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr",
];

/// `storage.root_dir`: a plain path (relative to the data directory, or absolute on a disk
/// of the user's), never climbing with `..` and never inside a system tree.
fn validate_root_dir(root: &str) -> VResult {
    const FIELD: &str = "storage.root_dir";
    if root.trim().is_empty() || root.chars().count() > 4096 || root.chars().any(char::is_control) {
        return Err(ValidationError::new(
            FIELD,
            "must be a non-empty path without control characters",
        ));
    }
    let path = std::path::Path::new(root);
    if path
        .components()
        .any(|c| c == std::path::Component::ParentDir)
    {
        return Err(ValidationError {
            traversal: true,
            ..ValidationError::new(FIELD, format!("{root:?} climbs out with \"..\""))
        });
    }
    if path.is_absolute()
        && SYSTEM_DIRS
            .iter()
            .any(|d| path == std::path::Path::new(d) || (*d != "/" && path.starts_with(d)))
    {
        return Err(ValidationError::new(
            FIELD,
            format!("{root:?} is inside a system directory"),
        ));
    }
    Ok(())
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

type VResult = Result<(), ValidationError>;

fn range_u64(field: &str, v: u64, min: u64, max: u64) -> VResult {
    if v < min || v > max {
        return Err(ValidationError::new(
            field,
            format!("{v} is out of range {min}..={max}"),
        ));
    }
    Ok(())
}

fn range_dur(field: &str, v: HumanDuration, min: Duration, max: Duration) -> VResult {
    if v.0 < min || v.0 > max {
        return Err(ValidationError::new(
            field,
            format!(
                "{v} is out of range {}..={}",
                HumanDuration(min),
                HumanDuration(max)
            ),
        ));
    }
    Ok(())
}

/// The regions the Xiaomi cloud serves.
pub const XIAOMI_REGIONS: &[&str] = &["cn", "de", "us", "ru", "tw", "sg", "in", "i2"];

fn validate_xiaomi(x: &super::XiaomiConfig) -> VResult {
    for (field, value) in [
        ("xiaomi.account_url", &x.account_url),
        ("xiaomi.api_url", &x.api_url),
    ] {
        let probe = value.replace("{region}", "cn");
        let ok = url::Url::parse(&probe)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !ok || value.len() > 512 {
            return Err(ValidationError::new(field, "must be an http(s) URL"));
        }
    }
    if !XIAOMI_REGIONS.contains(&x.region.as_str()) {
        return Err(ValidationError::new(
            "xiaomi.region",
            format!("must be one of {}", XIAOMI_REGIONS.join(", ")),
        ));
    }
    range_dur("xiaomi.timeout", x.timeout, secs(1), secs(60))
}

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// NTP servers: at most 8 host names (RFC 1123 labels) or IP addresses.
fn validate_ntp_servers(servers: &[String]) -> VResult {
    if servers.len() > 8 {
        return Err(ValidationError::new(
            "time.ntp_servers",
            "at most 8 servers",
        ));
    }
    for s in servers {
        let host_ok = !s.is_empty()
            && s.len() <= 253
            && s.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !host_ok && s.parse::<std::net::IpAddr>().is_err() {
            return Err(ValidationError::new(
                "time.ntp_servers",
                format!("{s:?} is not a host name or IP address"),
            ));
        }
    }
    Ok(())
}

/// Checks every key of a config; the first problem found is returned.
pub fn validate(cfg: &Config) -> VResult {
    validate_listen(&cfg.server.listen)?;
    validate_root_dir(&cfg.storage.root_dir)?;
    range_dur(
        "storage.segment_duration",
        cfg.storage.segment_duration,
        secs(5),
        secs(3600),
    )?;
    range_dur(
        "storage.sync_interval",
        cfg.storage.sync_interval,
        secs(1),
        secs(60),
    )?;
    let c = &cfg.cleanup;
    range_u64("cleanup.retention_days", c.retention_days.into(), 1, 3650)?;
    range_dur(
        "cleanup.check_interval",
        c.check_interval,
        secs(10),
        secs(86_400),
    )?;
    range_u64(
        "cleanup.disk_threshold_percent",
        c.disk_threshold_percent.into(),
        50,
        99,
    )?;
    validate_xiaomi(&cfg.xiaomi)?;
    validate_ntp_servers(&cfg.time.ntp_servers)?;
    let a = &cfg.auth;
    validate_username(&a.username)?;
    crate::auth::check_hash_format(&a.password_hash)
        .map_err(|m| ValidationError::new("auth.password_hash", m))?;
    range_dur(
        "auth.verify_cache_ttl",
        a.verify_cache_ttl,
        secs(0),
        secs(86_400),
    )?;
    range_u64(
        "auth.rate_limit.max_failures",
        a.rate_limit.max_failures.into(),
        1,
        10_000,
    )?;
    range_dur(
        "auth.rate_limit.window",
        a.rate_limit.window,
        secs(1),
        secs(86_400),
    )?;
    let m = &cfg.merge;
    validate_merge(
        "merge",
        &MergeOverride {
            enabled: Some(m.enabled),
            check_interval: Some(m.check_interval),
            window_size: Some(m.window_size),
            batch_limit: Some(m.batch_limit),
            min_segment_age: Some(m.min_segment_age),
            min_segments_to_merge: Some(m.min_segments_to_merge),
        },
    )?;
    range_u64("live.max_streams", cfg.live.max_streams.into(), 1, 64)?;
    range_dur(
        "live.idle_timeout",
        cfg.live.idle_timeout,
        secs(5),
        secs(3600),
    )?;
    let mut ids = HashSet::new();
    for (i, cam) in cfg.cameras.iter().enumerate() {
        validate_camera(&format!("cameras[{i}]"), cam)?;
        if !ids.insert(cam.id.as_str()) {
            return Err(ValidationError::new(
                format!("cameras[{i}].id"),
                "duplicate camera id",
            ));
        }
    }
    Ok(())
}

fn validate_listen(listen: &str) -> VResult {
    let field = "server.listen";
    let (host, port) = listen
        .rsplit_once(':')
        .ok_or_else(|| ValidationError::new(field, "expected :PORT or HOST:PORT"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| ValidationError::new(field, format!("bad port {port:?}")))?;
    if port == 0 {
        return Err(ValidationError::new(field, "port must be 1..=65535"));
    }
    if !host.is_empty() {
        let h = host.trim_start_matches('[').trim_end_matches(']');
        if h.parse::<std::net::IpAddr>().is_err() && h != "localhost" {
            return Err(ValidationError::new(
                field,
                format!("host {host:?} is not an IP address"),
            ));
        }
    }
    Ok(())
}

fn validate_username(u: &str) -> VResult {
    if u.is_empty() || u.chars().count() > 64 || u.contains(':') || u.chars().any(char::is_control)
    {
        return Err(ValidationError::new(
            "auth.username",
            "must be 1-64 characters without ':' or control characters",
        ));
    }
    Ok(())
}

/// Merge settings, global or a per-camera override (absent fields are not checked).
pub fn validate_merge(prefix: &str, m: &MergeOverride) -> VResult {
    let f = |k: &str| format!("{prefix}.{k}");
    if let Some(v) = m.check_interval {
        range_dur(&f("check_interval"), v, secs(10), secs(86_400))?;
    }
    if let Some(v) = m.window_size {
        range_dur(&f("window_size"), v, secs(60), secs(86_400))?;
    }
    if let Some(v) = m.batch_limit {
        range_u64(&f("batch_limit"), v.into(), 1, 100_000)?;
    }
    if let Some(v) = m.min_segment_age {
        range_dur(&f("min_segment_age"), v, secs(0), secs(7 * 86_400))?;
    }
    if let Some(v) = m.min_segments_to_merge {
        range_u64(&f("min_segments_to_merge"), v.into(), 2, 100_000)?;
    }
    Ok(())
}

pub fn valid_camera_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_url(field: &str, url: &str, schemes: &[&str]) -> VResult {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(ValidationError::new(
            field,
            "must be a URL like scheme://host/path",
        ));
    };
    if !schemes.contains(&scheme.to_ascii_lowercase().as_str()) {
        return Err(ValidationError::new(
            field,
            format!(
                "scheme {scheme:?} not allowed here (expected one of {})",
                schemes.join(", ")
            ),
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host.is_empty() || url.len() > 2048 || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(ValidationError::new(
            field,
            "must have a host and no spaces",
        ));
    }
    Ok(())
}

fn validate_camera(prefix: &str, cam: &CameraConfig) -> VResult {
    let f = |k: &str| format!("{prefix}.{k}");
    if !valid_camera_id(&cam.id) {
        return Err(ValidationError::new(
            f("id"),
            "must be 1-64 characters of [a-z0-9-]",
        ));
    }
    let name = cam.name.trim();
    if name.is_empty() || cam.name.chars().count() > 128 || cam.name.chars().any(char::is_control) {
        return Err(ValidationError::new(
            f("name"),
            "must be 1-128 printable characters",
        ));
    }
    let main_schemes: &[&str] = match cam.protocol {
        Protocol::Rtsp => &["rtsp", "rtsps"],
        Protocol::Onvif => &["http", "https", "rtsp", "rtsps"],
        Protocol::Http => &["http", "https"],
        Protocol::Xiaomi => &["xiaomi", "rtsp", "rtsps"],
    };
    check_url(&f("url"), &cam.url, main_schemes)?;
    if cam.protocol == Protocol::Http && cam.encoding != Encoding::Mjpeg {
        return Err(ValidationError::new(
            f("encoding"),
            "http cameras deliver mjpeg",
        ));
    }
    if !cam.sub_stream_url.is_empty() {
        check_url(
            &f("sub_stream_url"),
            &cam.sub_stream_url,
            &["rtsp", "rtsps", "http", "https"],
        )?;
    }
    if !cam.snapshot_url.is_empty() {
        check_url(&f("snapshot_url"), &cam.snapshot_url, &["http", "https"])?;
    }
    if let Some(d) = cam.retention_days {
        range_u64(&f("retention_days"), d.into(), 1, 3650)?;
    }
    for (k, v, max) in [
        ("username", &cam.username, 128),
        ("password", &cam.password, 256),
        ("onvif_profile", &cam.onvif_profile, 64),
    ] {
        if v.chars().count() > max || v.chars().any(char::is_control) {
            return Err(ValidationError::new(
                f(k),
                format!("at most {max} printable characters"),
            ));
        }
    }
    for (k, v) in [("did", &cam.did), ("vendor", &cam.vendor)] {
        if v.chars().count() > 128 || v.chars().any(char::is_control) {
            return Err(ValidationError::new(
                f(k),
                "at most 128 printable characters",
            ));
        }
    }
    range_u64(&f("sample_interval"), cam.sample_interval.into(), 1, 86_400)?;
    range_u64(&f("hls_max_fps"), cam.hls_max_fps.into(), 0, 120)?;
    if let Some(m) = &cam.merge {
        validate_merge(&f("merge"), m)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_dir_stays_out_of_system_trees_and_never_climbs() {
        for ok in [
            "recordings",
            "/var/lib/mibee-nvr",
            "/mnt/usb/nvr",
            "rec/./x",
            "/usrdata",
        ] {
            assert_eq!(validate_root_dir(ok), Ok(()), "{ok}");
        }
        for climb in ["../../../../etc", "recordings/../..", "/mnt/../etc", ".."] {
            let e = validate_root_dir(climb).unwrap_err();
            assert!(e.traversal, "{climb}: {e}");
        }
        for sys in ["/", "/etc", "/etc/nvr", "/proc/self", "/usr/lib", "/dev"] {
            let e = validate_root_dir(sys).unwrap_err();
            assert!(!e.traversal && e.message.contains("system"), "{sys}: {e}");
        }
        assert!(validate_root_dir(" ").is_err());
        assert!(validate_root_dir("a\nb").is_err());
    }

    #[test]
    fn listen_forms() {
        for ok in [":9090", "127.0.0.1:80", "[::1]:9090", "0.0.0.0:1"] {
            validate_listen(ok).unwrap();
        }
        for bad in ["9090", ":0", ":70000", "host:80", "", ":"] {
            assert!(validate_listen(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn camera_rules() {
        let mut cfg = Config::default();
        cfg.cameras.push(CameraConfig::new_for_test("a"));
        validate(&cfg).unwrap();
        cfg.cameras[0].url = "http://x/".into();
        assert_eq!(validate(&cfg).unwrap_err().field, "cameras[0].url");
        cfg.cameras[0].url = "rtsp://10.0.0.1/s".into();
        cfg.cameras.push(CameraConfig::new_for_test("a"));
        assert_eq!(validate(&cfg).unwrap_err().field, "cameras[1].id");
        cfg.cameras.pop();
        cfg.cameras[0].id = "Bad_Id".into();
        assert_eq!(validate(&cfg).unwrap_err().field, "cameras[0].id");
    }

    #[test]
    fn ranges() {
        let mut cfg = Config::default();
        cfg.cleanup.retention_days = 0;
        assert_eq!(validate(&cfg).unwrap_err().field, "cleanup.retention_days");
        cfg = Config::default();
        cfg.merge.min_segments_to_merge = 1;
        assert_eq!(
            validate(&cfg).unwrap_err().field,
            "merge.min_segments_to_merge"
        );
        cfg = Config::default();
        cfg.auth.password_hash = "not-a-hash".into();
        assert_eq!(validate(&cfg).unwrap_err().field, "auth.password_hash");
    }
}
