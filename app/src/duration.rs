//! Human durations used in settings (`30s`, `10m`, `2h30m`, `500ms`) and the uptime format
//! (`2h34m15s`): parsing, canonical formatting and serde as strings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A duration that travels as a human string. Millisecond resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }
    pub fn as_duration(self) -> Duration {
        self.0
    }
}

/// Parses `1h30m`, `45s`, `500ms`, `2d`. A bare number is rejected (units are required).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text;
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total_ms: u128 = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(format!(
                "bad duration {text:?}: expected a number at {:?}",
                &s[start..]
            ));
        }
        let n: u128 = s[start..i]
            .parse()
            .map_err(|_| format!("bad duration {text:?}"))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit_ms: u128 = match &s[ustart..i] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => {
                return Err(format!(
                    "bad duration {text:?}: missing unit (ms, s, m, h, d)"
                ));
            }
            u => return Err(format!("bad duration {text:?}: unknown unit {u:?}")),
        };
        total_ms = total_ms
            .checked_add(n.checked_mul(unit_ms).ok_or("duration too large")?)
            .ok_or("duration too large")?;
        if total_ms > u64::MAX as u128 / 2 {
            return Err("duration too large".into());
        }
    }
    Ok(Duration::from_millis(total_ms as u64))
}

/// Canonical form: `2h30m`, `45s`, `1h0m5s` → `1h5s`, `0s`, `1500ms` → `1s500ms`.
pub fn format_duration(d: Duration) -> String {
    let total_ms = d.as_millis();
    if total_ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let (h, rem) = (total_ms / 3_600_000, total_ms % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let (s, ms) = (rem / 1000, rem % 1000);
    for (v, u) in [(h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
        if v > 0 {
            out.push_str(&format!("{v}{u}"));
        }
    }
    out
}

/// Uptime as the spec shows it: whole seconds, always with the seconds part (`2h34m15s`).
pub fn format_uptime(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl std::str::FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_duration(s).map(HumanDuration)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for HumanDuration {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^([0-9]+(ms|s|m|h|d))+$"))
            .description(Some("A duration such as 30s, 10m, 1h, 2h30m"))
            .into()
    }
}

impl utoipa::ToSchema for HumanDuration {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        for (text, secs) in [
            ("30s", 30),
            ("10m", 600),
            ("1h", 3600),
            ("2h30m", 9000),
            ("1d", 86400),
        ] {
            assert_eq!(
                parse_duration(text).unwrap(),
                Duration::from_secs(secs),
                "{text}"
            );
            assert_eq!(
                format_duration(Duration::from_secs(secs)).as_str(),
                if text == "1d" { "24h" } else { text }
            );
        }
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(parse_duration("1h0m5s").unwrap(), Duration::from_secs(3605));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "30",
            "s",
            "1x",
            "-1s",
            "1.5h",
            "1 h",
            " 30s",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn uptime_format() {
        assert_eq!(
            format_uptime(Duration::from_secs(2 * 3600 + 34 * 60 + 15)),
            "2h34m15s"
        );
        assert_eq!(format_uptime(Duration::from_secs(75)), "1m15s");
        assert_eq!(format_uptime(Duration::from_secs(3)), "3s");
    }
}
