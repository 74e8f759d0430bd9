//! The shape a SOAP reply must have before oxvif's namespace-blind parser reads it: a
//! SOAP 1.2 Envelope (what ONVIF mandates) whose Body holds a Fault or an element of the
//! service's namespace (the namespace of the request's action), no DTD (SOAP forbids them; this also rules out entity expansion), no undeclared prefix,
//! and bounded nesting. A reply that fails is "not an ONVIF reply".

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// Deeper than any ONVIF reply (GetProfiles nests ~8 levels).
const MAX_DEPTH: usize = 64;

fn namespace(ns: ResolveResult<'_>) -> Result<Option<String>, String> {
    match ns {
        ResolveResult::Bound(n) => Ok(Some(n.as_ref().to_string())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(p) => Err(format!("undeclared namespace prefix {p:?}")),
    }
}

fn show(ns: &Option<String>) -> String {
    ns.clone().unwrap_or_else(|| "none".into())
}

/// The namespace of an action's reply element: the action URI without its last segment
/// (`http://www.onvif.org/ver20/ptz/wsdl/GetStatus` → `http://www.onvif.org/ver20/ptz/wsdl`).
pub fn action_namespace(action: &str) -> &str {
    action.rsplit_once('/').map_or(action, |(ns, _)| ns)
}

/// Checks the reply to `action` up to the first element of its Body, which must be a Fault
/// or in the action's namespace. A device that forgets to declare the prefix of its
/// response element (ipycam does; so do some cameras) is tolerated when the element is the
/// one the action expects; a declared wrong namespace is not.
pub fn check(xml: &str, action: &str) -> Result<(), String> {
    let service_ns = action_namespace(action);
    let expected = format!("{}Response", action.rsplit('/').next().unwrap_or(action));
    let mut reader = NsReader::from_str(xml);
    let mut depth = 0usize;
    let mut envelope_ns: Option<String> = None;
    let mut in_body = false;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not well-formed XML: {e}"))?;
        match event {
            Event::DocType(_) => return Err("the reply has a DTD, which SOAP forbids".into()),
            Event::Start(ref e) | Event::Empty(ref e) => {
                let undeclared = matches!(ns, ResolveResult::Unknown(_));
                let tolerated = undeclared && depth == 2 && in_body;
                let ns = if tolerated { Ok(None) } else { namespace(ns) }?;
                let local = e.local_name();
                let local = local.as_ref().to_string();
                if depth == 0 {
                    if local != "Envelope" || ns.as_deref() != Some(SOAP12) {
                        return Err(format!(
                            "the root is {local} in namespace {}, not a SOAP 1.2 Envelope",
                            show(&ns)
                        ));
                    }
                    envelope_ns = ns;
                } else if depth == 1 && local == "Body" {
                    if ns != envelope_ns {
                        return Err("the Body is not in the Envelope's namespace".into());
                    }
                    in_body = true;
                } else if depth == 2 && in_body {
                    let fault = local == "Fault" && ns == envelope_ns;
                    if fault
                        || ns.as_deref() == Some(service_ns)
                        || (undeclared && local == expected)
                    {
                        return Ok(());
                    }
                    return Err(format!(
                        "the Body holds {local} in namespace {}, not {service_ns}",
                        show(&ns)
                    ));
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(format!("nested deeper than {MAX_DEPTH} elements"));
                    }
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if in_body && depth == 1 {
                    return Err("the SOAP Body is empty".into());
                }
            }
            Event::Eof => return Err("no SOAP Body".into()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{action_namespace, check};

    const OK: &str = r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Header/><s:Body><tds:GetScopesResponse/></s:Body></s:Envelope>"#;

    const DEVICE: &str = "http://www.onvif.org/ver10/device/wsdl";
    const SCOPES: &str = "http://www.onvif.org/ver10/device/wsdl/GetScopes";

    #[test]
    fn envelopes() {
        assert_eq!(
            action_namespace("http://www.onvif.org/ver10/device/wsdl/GetScopes"),
            DEVICE
        );
        assert!(check(OK, SCOPES).is_ok());
        let fault = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault/></e:Body></e:Envelope>"#;
        assert!(check(fault, SCOPES).is_ok());
        assert!(check(OK, "http://www.onvif.org/ver10/media/wsdl/GetScopes").is_err());
        let sloppy = OK.replace("tds:GetScopesResponse", "tx:GetScopesResponse");
        assert!(
            check(&sloppy, SCOPES).is_ok(),
            "an undeclared prefix on the expected element"
        );
        assert!(
            check(
                &sloppy,
                "http://www.onvif.org/ver10/device/wsdl/GetHostname"
            )
            .is_err()
        );
        for bad in [
            OK.replace("2003/05/soap-envelope", "2003/05/soap-envelopX"),
            OK.replace("www.onvif.org", "example.com"),
            OK.replace("device/wsdl", "device/wrong"),
            OK.replace("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/"),
            OK.replace("<s:Header/>", "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><s:Header/>"),
            format!("<!DOCTYPE lol [<!ENTITY a \"a\">]>{OK}"),
            OK.replace("<s:Header/>", "<x:Header/>"),
            OK[..OK.len() / 2].to_string(),
            "<html><body>hi</body></html>".into(),
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body></s:Body></s:Envelope>"#.into(),
            format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>{}</s:Body></s:Envelope>"#,
                "<s:x>".repeat(100)
            ),
            String::new(),
        ] {
            assert!(check(&bad, SCOPES).is_err(), "{bad}");
        }
    }
}
