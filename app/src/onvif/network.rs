//! A camera's network configuration over ONVIF: interfaces with IPv4, default gateway and
//! DNS (get, set). A set is checked in full (addresses, netmask, the interface exists)
//! before the first request goes out. SetNetworkInterfaces is built here: oxvif's puts
//! `DHCP` before `Manual`, which the schema does not allow.

use super::device::Device;
use crate::error::{ApiError, ApiResult};
use quick_xml::escape::escape as xml_escape;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;
use utoipa::ToSchema;

const DEVICE: &str = "http://www.onvif.org/ver10/device/wsdl";

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ipv4 {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub dhcp: bool,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub netmask: String,
    #[serde(default)]
    pub gateway: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// The interface's name or token (`eth0`).
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub ipv4: Option<Ipv4>,
    /// DNS servers; in a set, absent leaves them alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub interfaces: Vec<Interface>,
}

fn netmask(prefix: u32) -> String {
    let bits = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix.min(32))
    };
    Ipv4Addr::from(bits).to_string()
}

/// The prefix length of a dotted netmask (contiguous ones only).
pub fn prefix_len(mask: &str) -> ApiResult<u32> {
    let m: Ipv4Addr = mask
        .parse()
        .map_err(|_| ApiError::invalid(format!("netmask {mask:?} is not an IPv4 netmask")))?;
    let bits = u32::from(m);
    if bits.leading_ones() + bits.trailing_zeros() != 32 {
        return Err(ApiError::invalid(format!(
            "netmask {mask} is not contiguous"
        )));
    }
    Ok(bits.leading_ones())
}

fn ipv4(what: &str, s: &str) -> ApiResult<Ipv4Addr> {
    let a: Ipv4Addr = s
        .parse()
        .map_err(|_| ApiError::invalid(format!("{what} {s:?} is not an IPv4 address")))?;
    if a.is_unspecified() || a.is_broadcast() || a.is_multicast() {
        return Err(ApiError::invalid(format!("{what} {s} cannot be used")));
    }
    Ok(a)
}

pub async fn get(dev: &Device) -> ApiResult<Network> {
    let c = dev.client();
    let ifs = c
        .get_network_interfaces()
        .await
        .map_err(dev.fail("GetNetworkInterfaces"))?;
    // Gateway and DNS are separate services some cameras lack: report what there is.
    let gateway = c
        .get_network_default_gateway()
        .await
        .ok()
        .and_then(|g| g.ipv4_addresses.into_iter().next())
        .unwrap_or_default();
    let dns = c.get_dns().await.map(|d| d.servers).unwrap_or_default();
    Ok(Network {
        interfaces: ifs
            .into_iter()
            .map(|i| Interface {
                name: if i.name.is_empty() { i.token } else { i.name },
                enabled: i.enabled,
                ipv4: Some(Ipv4 {
                    enabled: i.ipv4_enabled,
                    dhcp: i.ipv4_from_dhcp,
                    address: i.ipv4_address,
                    netmask: netmask(i.ipv4_prefix_length),
                    gateway: gateway.clone(),
                }),
                dns: Some(dns.clone()),
            })
            .collect(),
    })
}

/// A checked change of one interface.
struct Change {
    token: String,
    body: String,
    gateway: Option<String>,
    dns: Option<Vec<String>>,
}

fn plan(req: &Network, tokens: &[(String, String)]) -> ApiResult<Vec<Change>> {
    if req.interfaces.is_empty() {
        return Err(ApiError::invalid("interfaces is empty"));
    }
    let mut out = Vec::new();
    for i in &req.interfaces {
        let token = tokens
            .iter()
            .find(|(t, n)| *t == i.name || *n == i.name)
            .map(|(t, _)| t.clone())
            .ok_or_else(|| {
                ApiError::invalid(format!("the camera has no network interface {:?}", i.name))
            })?;
        let mut v4 = String::new();
        let mut gateway = None;
        if let Some(ip) = &i.ipv4 {
            let mut manual = String::new();
            if !ip.dhcp {
                let a = ipv4("address", &ip.address)?;
                let len = prefix_len(&ip.netmask)?;
                if !(1..=31).contains(&len) {
                    return Err(ApiError::invalid(format!(
                        "netmask {} is not usable",
                        ip.netmask
                    )));
                }
                manual = format!(
                    "<tt:Manual><tt:Address>{a}</tt:Address><tt:PrefixLength>{len}</tt:PrefixLength></tt:Manual>"
                );
                if !ip.gateway.is_empty() {
                    let g = ipv4("gateway", &ip.gateway)?;
                    let net = |x: Ipv4Addr| u32::from(x) >> (32 - len);
                    if net(g) != net(a) {
                        return Err(ApiError::invalid(format!(
                            "gateway {g} is not in {a}/{len}"
                        )));
                    }
                    gateway = Some(g.to_string());
                }
            }
            v4 = format!(
                "<tt:IPv4><tt:Enabled>{}</tt:Enabled>{manual}<tt:DHCP>{}</tt:DHCP></tt:IPv4>",
                ip.enabled, ip.dhcp
            );
        }
        let dns = match &i.dns {
            Some(list) => Some(
                list.iter()
                    .map(|s| ipv4("dns", s).map(|a| a.to_string()))
                    .collect::<ApiResult<Vec<_>>>()?,
            ),
            None => None,
        };
        let body = format!(
            "<tds:SetNetworkInterfaces><tds:InterfaceToken>{}</tds:InterfaceToken><tds:NetworkInterface><tt:Enabled>{}</tt:Enabled>{v4}</tds:NetworkInterface></tds:SetNetworkInterfaces>",
            xml_escape(&token),
            i.enabled
        );
        out.push(Change {
            token,
            body,
            gateway,
            dns,
        });
    }
    Ok(out)
}

/// Applies a checked configuration; `Ok(true)` when the camera says it must reboot.
pub async fn set(dev: &Device, req: &Network) -> ApiResult<bool> {
    let ifs = dev
        .client()
        .get_network_interfaces()
        .await
        .map_err(dev.fail("GetNetworkInterfaces"))?;
    let tokens: Vec<(String, String)> = ifs.into_iter().map(|i| (i.token, i.name)).collect();
    let changes = plan(req, &tokens)?;
    let mut reboot = false;
    for c in changes {
        let resp = dev
            .call(
                &dev.url,
                &format!("{DEVICE}/SetNetworkInterfaces"),
                &c.body,
                "SetNetworkInterfacesResponse",
            )
            .await
            .map_err(dev.fail("SetNetworkInterfaces"))?;
        reboot |= resp
            .child("RebootNeeded")
            .is_some_and(|n| n.text() == "true");
        if let Some(g) = &c.gateway {
            dev.client()
                .set_network_default_gateway(&[g.as_str()])
                .await
                .map_err(dev.fail("SetNetworkDefaultGateway"))?;
        }
        if let Some(d) = &c.dns {
            let servers: Vec<&str> = d.iter().map(String::as_str).collect();
            dev.client()
                .set_dns(false, &servers)
                .await
                .map_err(dev.fail("SetDNS"))?;
        }
        tracing::info!(device = %dev.url, interface = %c.token, "ONVIF network configuration set");
    }
    Ok(reboot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmasks() {
        assert_eq!(netmask(24), "255.255.255.0");
        assert_eq!(netmask(0), "0.0.0.0");
        assert_eq!(prefix_len("255.255.254.0").unwrap(), 23);
        assert!(prefix_len("255.0.255.0").is_err());
        assert!(prefix_len("nope").is_err());
    }

    #[test]
    fn a_set_is_checked_before_it_is_sent() {
        let tokens = vec![("eth0".to_string(), "eth0".to_string())];
        let req = |json: &str| serde_json::from_str::<Network>(json).unwrap();
        let ok = plan(
            &req(r#"{"interfaces":[{"name":"eth0","ipv4":{"dhcp":false,"address":"192.0.2.20","netmask":"255.255.255.0","gateway":"192.0.2.1"},"dns":["192.0.2.53"]}]}"#),
            &tokens,
        )
        .unwrap();
        let b = &ok[0].body;
        assert!(
            b.find("<tt:Manual>").unwrap() < b.find("<tt:DHCP>").unwrap(),
            "{b}"
        );
        assert_eq!(ok[0].gateway.as_deref(), Some("192.0.2.1"));
        for bad in [
            r#"{"interfaces":[]}"#,
            r#"{"interfaces":[{"name":"wlan9","ipv4":{"dhcp":true}}]}"#,
            r#"{"interfaces":[{"name":"eth0","ipv4":{"dhcp":false,"address":"300.1.1.1","netmask":"255.255.255.0"}}]}"#,
            r#"{"interfaces":[{"name":"eth0","ipv4":{"dhcp":false,"address":"192.0.2.20","netmask":"255.0.255.0"}}]}"#,
            r#"{"interfaces":[{"name":"eth0","ipv4":{"dhcp":false,"address":"192.0.2.20","netmask":"255.255.255.0","gateway":"198.51.100.1"}}]}"#,
            r#"{"interfaces":[{"name":"eth0","dns":["x"]}]}"#,
        ] {
            assert!(plan(&req(bad), &tokens).is_err(), "{bad}");
        }
    }
}
