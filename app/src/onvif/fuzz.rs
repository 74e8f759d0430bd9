//! The entry of the reply-parser fuzz target (app/fuzz): one input is handed, as the reply
//! of our transport, to every parse the daemon does of a device's answers (the envelope
//! check, oxvif's typed parsers behind each operation we call, our GetProfiles reader) and
//! to the WS-Discovery ProbeMatch reader. Nothing here touches the network.

use super::{device, discover, envelope};
use async_trait::async_trait;
use oxvif::OnvifClient;
use oxvif::soap::{find_response, parse_soap_body};
use oxvif::transport::{Transport, TransportError};
use std::sync::Arc;

/// Answers every request with the same text, after the check `transport::Bounded` makes.
struct Canned(String);

#[async_trait]
impl Transport for Canned {
    async fn soap_post(&self, _: &str, action: &str, _: String) -> Result<String, TransportError> {
        envelope::check(&self.0, action).map_err(|body| TransportError::HttpStatus {
            status: super::transport::REFUSED_REPLY_STATUS,
            body,
        })?;
        Ok(self.0.clone())
    }
}

/// Parses `data` every way the daemon would; must never panic. The operation whose reply
/// the Body's element names is called (the others would stop at that name); a Fault goes to
/// every operation's fault path through GetCapabilities.
pub fn reply(data: &[u8]) {
    let _ = discover::parse_reply(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let op = parse_soap_body(text)
        .ok()
        .and_then(|b| b.children.first().map(|c| c.local_name.clone()))
        .unwrap_or_default();
    if op == "GetProfilesResponse"
        && envelope::check(text, "http://www.onvif.org/ver10/media/wsdl/GetProfiles").is_ok()
        && let Ok(body) = parse_soap_body(text)
        && let Ok(resp) = find_response(&body, "GetProfilesResponse")
    {
        let _: Vec<_> = resp
            .children_named("Profiles")
            .filter_map(device::parse_profile)
            .collect();
    }
    // No credentials: the WS-Security token of each request would cost more than the
    // parse under test, and the reply path does not depend on it.
    let c = OnvifClient::new("http://127.0.0.1/onvif/device_service")
        .with_transport(Arc::new(Canned(text.to_string())));
    let u = "http://127.0.0.1/onvif/x";
    futures::executor::block_on(async {
        match op.as_str() {
            "GetSystemDateAndTimeResponse" => drop(c.get_system_date_and_time().await),
            "GetDeviceInformationResponse" => drop(c.get_device_info().await),
            "GetScopesResponse" => drop(c.get_scopes().await),
            "GetStreamUriResponse" => drop(c.get_stream_uri(u, "p").await),
            "GetSnapshotUriResponse" => drop(c.get_snapshot_uri(u, "p").await),
            "GetNodesResponse" => drop(c.ptz_get_nodes(u).await),
            "GetStatusResponse" => drop(c.ptz_get_status(u, "p").await),
            "GetPresetsResponse" => drop(c.ptz_get_presets(u, "p").await),
            "SetPresetResponse" => drop(c.ptz_set_preset(u, "p", Some("n"), None).await),
            "GetImagingSettingsResponse" => drop(c.get_imaging_settings(u, "v").await),
            "GetOptionsResponse" => drop(c.get_imaging_options(u, "v").await),
            "GetNetworkInterfacesResponse" => drop(c.get_network_interfaces().await),
            "GetDNSResponse" => drop(c.get_dns().await),
            "GetNetworkDefaultGatewayResponse" => drop(c.get_network_default_gateway().await),
            "SystemRebootResponse" => drop(c.system_reboot().await),
            _ => drop(c.get_capabilities().await),
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn odd_inputs_do_not_panic() {
        for input in [
            &b""[..],
            b"\xff\xfe",
            b"<",
            b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><x:GetProfilesResponse xmlns:x=\"http://www.onvif.org/ver10/media/wsdl\"><x:Profiles token=\"a\"><x:VideoEncoderConfiguration><x:Resolution><x:Width>-1</x:Width></x:Resolution></x:VideoEncoderConfiguration></x:Profiles></x:GetProfilesResponse></s:Body></s:Envelope>",
        ] {
            super::reply(input);
        }
    }
}
