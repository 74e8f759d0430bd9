//! WS-Discovery: a multicast Probe on every interface (oxvif), and unicast Probes of a
//! target CIDR from one socket, paced, with replies gathered until the timeout. Results are
//! merged by endpoint, described from their scopes and enriched with GetDeviceInformation.

use super::device::{Device, DeviceInfo};
use crate::error::{ApiError, ApiResult};
use oxvif::soap::XmlNode;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::Instant;
use utoipa::ToSchema;

pub const MAX_TARGETS: u32 = 1024;
pub const MAX_TIMEOUT_S: f64 = 30.0;
/// Time GetDeviceInformation of the devices found may add after the probe timeout.
pub const ENRICH_BUDGET: Duration = Duration::from_secs(3);
/// One unicast Probe per this interval (1024 addresses in ~0.5 s).
const PACING: Duration = Duration::from_micros(500);
const WSD_PORT: u16 = 3702;
const MAX_DATAGRAM: usize = 65_535;
/// Replies kept at most: a flood of answers cannot grow memory without bound.
const MAX_REPLIES: usize = 4096;

/// A device found: the union of the spec's two shapes.
#[derive(Debug, Clone, Serialize, ToSchema, Default)]
pub struct Found {
    pub uuid: String,
    pub name: String,
    pub xaddrs: Vec<String>,
    pub scopes: Vec<String>,
    pub hardware: String,
    /// The device service address (the first `xaddrs`).
    pub endpoint: String,
    pub url: String,
    pub model: String,
    pub location: String,
    pub manufacturer: String,
}

/// Addresses of a CIDR (`192.168.1.0/24`) or a single IPv4 address, at most `MAX_TARGETS`;
/// the network and broadcast addresses of prefixes up to /30 are left out.
pub fn targets(cidr: &str) -> ApiResult<Vec<Ipv4Addr>> {
    let bad = |why: &str| ApiError::invalid(format!("target {cidr:?}: {why}"));
    let (ip, len) = match cidr.split_once('/') {
        Some((ip, len)) => (
            ip,
            len.parse::<u32>().map_err(|_| bad("bad prefix length"))?,
        ),
        None => (cidr, 32),
    };
    let ip: Ipv4Addr = ip.parse().map_err(|_| bad("not an IPv4 CIDR"))?;
    if len > 32 {
        return Err(bad("bad prefix length"));
    }
    let count = 1u64 << (32 - len);
    if count > MAX_TARGETS as u64 {
        return Err(bad(&format!("more than {MAX_TARGETS} addresses")));
    }
    let base = u32::from(ip) & !((count - 1) as u32);
    let hosts = (0..count as u32).map(|i| Ipv4Addr::from(base + i));
    Ok(if len <= 30 {
        hosts.skip(1).take(count as usize - 2).collect()
    } else {
        hosts.collect()
    })
}

fn probe_xml() -> String {
    let id = uuid_v4();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" \
xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">\
<s:Header><a:Action s:mustUnderstand=\"1\">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>\
<a:MessageID>urn:uuid:{id}</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>\
<a:To s:mustUnderstand=\"1\">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>\
<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"
    )
}

fn uuid_v4() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Unicast Probes to every address, then replies until `deadline`.
async fn unicast(addrs: &[Ipv4Addr], deadline: Instant) -> std::io::Result<Vec<Vec<u8>>> {
    let sock = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await?;
    let probe = probe_xml();
    let mut replies = Vec::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut next = 0usize;
    let mut tick = tokio::time::interval(PACING);
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => {
                if let Ok((n, _)) = r && replies.len() < MAX_REPLIES {
                    replies.push(buf[..n].to_vec());
                }
            }
            _ = tick.tick(), if next < addrs.len() => {
                let to = SocketAddr::new(IpAddr::V4(addrs[next]), WSD_PORT);
                next += 1;
                // An unreachable address is not an error of the scan.
                let _ = sock.send_to(probe.as_bytes(), to).await;
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    Ok(replies)
}

/// The ProbeMatch elements of one reply (with or without the ProbeMatches wrapper).
pub fn parse_reply(data: &[u8]) -> Vec<oxvif::DiscoveredDevice> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Vec::new();
    };
    let Ok(root) = XmlNode::parse(text) else {
        return Vec::new();
    };
    let body = root.child("Body").unwrap_or(&root);
    let matches = body.child("ProbeMatches").unwrap_or(body);
    let words = |n: &XmlNode, tag: &str| -> Vec<String> {
        n.child(tag)
            .map(|c| c.text().split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    matches
        .children_named("ProbeMatch")
        .map(|m| oxvif::DiscoveredDevice {
            endpoint: m
                .path(&["EndpointReference", "Address"])
                .map(|a| a.text().to_string())
                .unwrap_or_default(),
            types: words(m, "Types"),
            scopes: words(m, "Scopes"),
            xaddrs: words(m, "XAddrs"),
        })
        .filter(|d| !d.endpoint.is_empty() || !d.xaddrs.is_empty())
        .collect()
}

/// The value of an `onvif://www.onvif.org/{kind}/…` scope, URL-decoded.
pub fn scope(scopes: &[String], kind: &str) -> String {
    let prefix = format!("onvif://www.onvif.org/{kind}/");
    scopes
        .iter()
        .find_map(|s| s.strip_prefix(&prefix))
        .map(|v| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default()
}

fn describe(d: oxvif::DiscoveredDevice) -> Found {
    let url = d
        .xaddrs
        .iter()
        .find(|x| x.starts_with("http"))
        .cloned()
        .unwrap_or_default();
    let hardware = scope(&d.scopes, "hardware");
    Found {
        uuid: d
            .endpoint
            .trim_start_matches("urn:")
            .trim_start_matches("uuid:")
            .to_string(),
        name: scope(&d.scopes, "name"),
        location: scope(&d.scopes, "location"),
        model: hardware.clone(),
        hardware,
        endpoint: url.clone(),
        url,
        xaddrs: d.xaddrs,
        scopes: d.scopes,
        manufacturer: String::new(),
    }
}

/// Whether multicast may be sent: always, except in the loopback-only test mode, where only
/// a network namespace with nothing but loopback interfaces (one a test created) keeps it
/// on the box. `/proc/net/dev` lists the interfaces of this process's namespace.
fn multicast_allowed() -> bool {
    if !crate::net_policy::current().loopback_only {
        return true;
    }
    let Ok(dev) = std::fs::read_to_string("/proc/net/dev") else {
        return false;
    };
    let names: Vec<&str> = dev
        .lines()
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim()))
        .collect();
    !names.is_empty() && names.iter().all(|n| *n == "lo")
}

/// Runs a discovery: multicast (unless turned off), plus unicast to `target`; then
/// enrichment.
pub async fn discover(
    timeout: Duration,
    target: Option<&str>,
    multicast: bool,
) -> ApiResult<Vec<Found>> {
    let addrs = match target {
        Some(t) => targets(t)?,
        None => Vec::new(),
    };
    if crate::net_policy::current().loopback_only && addrs.iter().any(|a| !a.is_loopback()) {
        return Err(ApiError::invalid(
            "target: this daemon runs in loopback-only test mode",
        ));
    }
    let deadline = Instant::now() + timeout;
    let multicast = async {
        if multicast && multicast_allowed() {
            oxvif::discovery::probe_result(timeout)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        }
    };
    let unicast = async {
        if addrs.is_empty() {
            return Vec::new();
        }
        let raw = unicast(&addrs, deadline).await.unwrap_or_default();
        raw.iter().flat_map(|r| parse_reply(r)).collect()
    };
    let (m, u) = tokio::join!(multicast, unicast);
    let mut by_key: BTreeMap<String, oxvif::DiscoveredDevice> = BTreeMap::new();
    for d in m.into_iter().chain(u) {
        let key = if d.endpoint.is_empty() {
            d.xaddrs.join(" ")
        } else {
            d.endpoint.clone()
        };
        match by_key.get_mut(&key) {
            Some(e) => {
                for x in d.xaddrs {
                    if !e.xaddrs.contains(&x) {
                        e.xaddrs.push(x);
                    }
                }
            }
            None => {
                by_key.insert(key, d);
            }
        }
    }
    let mut found: Vec<Found> = by_key.into_values().map(describe).collect();
    enrich(&mut found).await;
    Ok(found)
}

/// Adds manufacturer and model from GetDeviceInformation where the device answers it without
/// credentials, within `ENRICH_BUDGET`.
async fn enrich(found: &mut [Found]) {
    let infos = futures::future::join_all(found.iter().map(|f| async move {
        if f.url.is_empty() || super::check_host(&f.url).is_err() {
            return None;
        }
        let info = async {
            let dev = Device::connect(&f.url, "", "").await.ok()?;
            dev.info().await.ok()
        };
        tokio::time::timeout(ENRICH_BUDGET, info)
            .await
            .ok()
            .flatten()
    }))
    .await;
    for (f, info) in found.iter_mut().zip(infos) {
        let Some(DeviceInfo {
            manufacturer,
            model,
            ..
        }) = info
        else {
            continue;
        };
        f.manufacturer = manufacturer;
        if !model.is_empty() {
            f.model = model;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_targets() {
        assert_eq!(targets("127.0.0.1").unwrap(), vec![Ipv4Addr::LOCALHOST]);
        let t = targets("10.1.2.77/24").unwrap();
        assert_eq!(t.len(), 254);
        assert_eq!(t[0], Ipv4Addr::new(10, 1, 2, 1));
        assert_eq!(targets("10.0.0.0/22").unwrap().len(), 1022);
        assert_eq!(targets("10.0.0.4/31").unwrap().len(), 2);
        for bad in ["10.0.0.0/21", "10.0.0.0/33", "::1/128", "x/24", "10.0.0.0/"] {
            assert!(targets(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn probe_matches_with_and_without_the_wrapper() {
        let m = |wrap: bool| {
            let inner = "<d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:1234</a:Address></a:EndpointReference>\
<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/name/Front%20Door onvif://www.onvif.org/hardware/X1</d:Scopes>\
<d:XAddrs>http://127.0.0.1:8080/onvif/device_service</d:XAddrs></d:ProbeMatch>";
            let body = if wrap {
                format!("<d:ProbeMatches>{inner}</d:ProbeMatches>")
            } else {
                inner.to_string()
            };
            format!(
                "<s:Envelope xmlns:s=\"s\" xmlns:a=\"a\" xmlns:d=\"d\"><s:Body>{body}</s:Body></s:Envelope>"
            )
        };
        for wrap in [true, false] {
            let found = parse_reply(m(wrap).as_bytes());
            assert_eq!(found.len(), 1);
            let f = describe(found[0].clone());
            assert_eq!(f.uuid, "1234");
            assert_eq!(f.name, "Front Door");
            assert_eq!(f.hardware, "X1");
            assert_eq!(f.url, "http://127.0.0.1:8080/onvif/device_service");
        }
        assert!(parse_reply(b"<not xml").is_empty());
        assert!(parse_reply(&[0xff, 0xfe]).is_empty());
    }
}
