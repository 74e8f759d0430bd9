//! Where this daemon may connect: anywhere (the box), or only to loopback IP literals (tests
//! and fuzzing: `serve --loopback-cameras-only`, so a fuzzer's random URLs cause no traffic,
//! not even DNS, off the machine). Set once at start; every outbound connection (cameras,
//! ONVIF devices and discovery, snapshots, the Xiaomi cloud) asks it. A policy is a plain
//! value, so unit tests check one without touching the process's.

use std::net::IpAddr;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetPolicy {
    pub loopback_only: bool,
}

static POLICY: OnceLock<NetPolicy> = OnceLock::new();

/// Sets the process's policy (once, at start; later calls are ignored).
pub fn init(policy: NetPolicy) {
    let _ = POLICY.set(policy);
}

/// The process's policy (open until `init`).
pub fn current() -> NetPolicy {
    POLICY.get().copied().unwrap_or_default()
}

/// Whether the process's policy lets this daemon connect to `url`'s host.
pub fn check_url(url: &str) -> Result<(), String> {
    current().check_url(url)
}

impl NetPolicy {
    /// Whether a URL's host may be connected to (checked before any connection).
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        if !self.loopback_only {
            return Ok(());
        }
        let parsed = url::Url::parse(url).map_err(|e| format!("bad url: {e}"))?;
        // rtsp:// is not a "special" URL scheme, so its host arrives as an opaque string.
        let ok = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()),
            None => false,
        };
        if ok {
            Ok(())
        } else {
            Err("camera address not allowed: loopback-only mode".into())
        }
    }

    /// Whether an address may be connected to.
    pub fn allows(&self, ip: IpAddr) -> bool {
        !self.loopback_only || ip.is_loopback()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only_allows_loopback_literals_only() {
        let strict = NetPolicy {
            loopback_only: true,
        };
        for ok in [
            "rtsp://127.0.0.1:554/a",
            "rtsp://u:p@127.0.0.9/a",
            "rtsp://[::1]:554/a",
            "http://127.0.0.1/x",
        ] {
            assert!(strict.check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "rtsp://192.0.2.1/a",
            "rtsp://camera.lan/a",
            "rtsp://localhost/a",
            "rtsp://0.0.0.0/a",
            "not a url",
        ] {
            assert!(strict.check_url(bad).is_err(), "{bad}");
        }
        assert!(NetPolicy::default().check_url("rtsp://192.0.2.1/a").is_ok());
        assert!(!strict.allows("192.0.2.1".parse().unwrap()));
        assert!(strict.allows("::1".parse().unwrap()));
    }
}
