//! The API reference's own examples (tests/fixtures/reference_examples.json, copied from the
//! reference by tests/fixtures/reference_examples.py) sent to a real daemon: each example's
//! request with the reference's placeholder ids and addresses replaced by real ones, its
//! answer compared in shape with the reference's example answer, and a record of which
//! examples were sent, so that none is forgotten. Also a WS-Discovery responder, so that
//! discovery finds a device.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/reference_examples.json"
);

/// An answer: status, headers and body.
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub async fn from(resp: reqwest::Response) -> Resp {
        Resp {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.bytes().await.expect("body").to_vec(),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {:?}", self.status, self.text()))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a JSON error `{"error": non-empty string, "code": string}` with this status
    /// (and this code, when given); returns the body.
    pub fn assert_error(&self, status: u16, code: Option<&str>) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert!(
            self.header("content-type").starts_with("application/json"),
            "an error is JSON: {:?} {}",
            self.header("content-type"),
            self.text()
        );
        let v = self.json();
        let o = v.as_object().unwrap_or_else(|| panic!("an object: {v}"));
        assert!(
            o.get("error")
                .and_then(Value::as_str)
                .is_some_and(|e| !e.is_empty()),
            "error message: {v}"
        );
        let got = o.get("code").and_then(Value::as_str);
        assert!(got.is_some(), "error code: {v}");
        if let Some(code) = code {
            assert_eq!(got, Some(code), "{v}");
        }
        v
    }
}

/// Sends a request; its answer.
pub async fn fetch(req: reqwest::RequestBuilder) -> Resp {
    Resp::from(req.send().await.expect("request")).await
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The first place where `got` does not have the shape of `want` (every key of `want`, with
/// the same JSON type, recursively; arrays by their first elements when both have one), as
/// "path: what". Keys beyond `want` are fine. Paths in `skip` are not compared (documented
/// deviations); objects at paths in `dynamic` are maps keyed by ids: each of their values is
/// compared with `want`'s first value.
pub fn shape_mismatch(
    want: &Value,
    got: &Value,
    path: &str,
    skip: &[String],
    dynamic: &[String],
) -> Option<String> {
    if skip.iter().any(|s| s == path) {
        return None;
    }
    match (want, got) {
        (Value::Object(w), Value::Object(g)) if dynamic.iter().any(|d| d == path) => {
            let first = w.values().next()?;
            g.iter()
                .find_map(|(k, v)| shape_mismatch(first, v, &format!("{path}.{k}"), skip, dynamic))
        }
        (Value::Object(w), Value::Object(g)) => w.iter().find_map(|(k, wv)| {
            let p = format!("{path}.{k}");
            match g.get(k) {
                None if skip.contains(&p) => None,
                None => Some(format!("{p}: missing (the reference has {wv})")),
                Some(gv) => shape_mismatch(wv, gv, &p, skip, dynamic),
            }
        }),
        (Value::Array(w), Value::Array(g)) => match (w.first(), g.first()) {
            (Some(wf), Some(gf)) => shape_mismatch(wf, gf, &format!("{path}[0]"), skip, dynamic),
            _ => None,
        },
        _ if type_name(want) == type_name(got) => None,
        _ => Some(format!(
            "{path}: {} {got} where the reference has {} {want}",
            type_name(got),
            type_name(want)
        )),
    }
}

/// The value at a shape path (`$.a[0].b`).
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path
        .trim_start_matches('$')
        .split('.')
        .filter(|p| !p.is_empty())
    {
        let (key, idx) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !key.is_empty() {
            cur = cur.get(key)?;
        }
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// Replaces whole tokens of a URL (between `/`, `?`, `&`, `=`) found in `subst`.
fn subst_url(url: &str, subst: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut tok = String::new();
    for c in url.chars().chain(std::iter::once('\0')) {
        if matches!(c, '/' | '?' | '&' | '=' | '\0') {
            out.push_str(&subst(&tok).unwrap_or(tok.clone()));
            tok.clear();
            if c != '\0' {
                out.push(c);
            }
        } else {
            tok.push(c);
        }
    }
    out
}

/// Replaces string values (anywhere in the body) found in `subst`.
fn subst_body(v: &Value, subst: &dyn Fn(&str) -> Option<String>) -> Value {
    match v {
        Value::String(s) => Value::String(subst(s).unwrap_or(s.clone())),
        Value::Array(a) => Value::Array(a.iter().map(|x| subst_body(x, subst)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), subst_body(x, subst)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The fixture, the real values of its placeholders, and which examples were sent.
pub struct Reference {
    pub fx: Value,
    base: String,
    client: reqwest::Client,
    /// literal of the reference → role (from the fixture)
    literals: HashMap<String, String>,
    /// role → real value (set by the test as things come to exist)
    roles: HashMap<String, String>,
    visited: BTreeSet<(String, usize)>,
    /// Answers that were not a success or not the reference's shape (reported at the end,
    /// so that one run shows every endpoint's state).
    failures: Vec<String>,
}

impl Reference {
    pub fn load(base: &str) -> Reference {
        let fx: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
        assert!(
            fx["source"]
                .as_str()
                .is_some_and(|s| s.contains("api-reference")),
            "the fixture names its source"
        );
        let literals = fx["substitutions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let f = |k: &str| s[k].as_str().unwrap().to_string();
                (f("literal"), f("role"))
            })
            .collect();
        Reference {
            fx,
            base: base.to_string(),
            client: reqwest::Client::new(),
            literals,
            roles: HashMap::new(),
            visited: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Sets the real value of a placeholder role.
    pub fn set(&mut self, role: &str, value: impl Into<String>) {
        self.roles.insert(role.to_string(), value.into());
    }

    pub fn entry(&self, key: &str) -> &Value {
        self.fx["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["endpoint"] == key)
            .unwrap_or_else(|| panic!("{key}: not in the fixture"))
    }

    pub fn examples(&self, key: &str) -> usize {
        self.entry(key)["examples"].as_array().unwrap().len()
    }

    fn strs(&self, key: &str, field: &str) -> Vec<String> {
        self.entry(key)[field]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        p["path"]
                            .as_str()
                            .unwrap_or_else(|| p.as_str().unwrap())
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Example `i` of `key` with its placeholders replaced: (method, url path, body).
    pub fn request(&self, key: &str, i: usize) -> (Method, String, Option<Value>) {
        let e = self.entry(key);
        let ex = &e["examples"][i];
        let subst = |s: &str| -> Option<String> {
            let role = self.literals.get(s)?;
            Some(
                self.roles
                    .get(role)
                    .unwrap_or_else(|| panic!("{key} example {i}: role {role} ({s}) not set"))
                    .clone(),
            )
        };
        let method = Method::from_bytes(e["method"].as_str().unwrap().as_bytes()).unwrap();
        let url = subst_url(ex["url"].as_str().unwrap(), &subst);
        let body = ex.get("body").map(|b| subst_body(b, &subst));
        (method, url, body)
    }

    /// Sends example `i` of `key` as it is (no checks) and records it as sent.
    pub async fn send(&mut self, key: &str, i: usize) -> Resp {
        let (method, url, body) = self.request(key, i);
        let mut req = self.client.request(method, format!("{}{url}", self.base));
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = Resp::from(req.send().await.expect("request")).await;
        eprintln!("{key} #{i}: {url} -> {}", resp.status);
        self.visited.insert((key.to_string(), i));
        resp
    }

    /// Sends example `i` of `key` and checks the answer: the reference's success status
    /// (any 2xx unless it names one), and for a JSON example the shape of its response.
    pub async fn call_one(&mut self, key: &str, i: usize) -> Resp {
        let resp = self.send(key, i).await;
        self.check(key, i, &resp);
        resp
    }

    /// Sends every example of `key` in order (each checked); returns the answers.
    pub async fn call(&mut self, key: &str) -> Vec<Resp> {
        let mut out = Vec::new();
        for i in 0..self.examples(key) {
            out.push(self.call_one(key, i).await);
        }
        out
    }

    /// `call` for an endpoint with one example; returns its JSON.
    pub async fn call_json(&mut self, key: &str) -> Value {
        let r = self.call(key).await;
        r.last().unwrap().json()
    }

    pub fn check(&mut self, key: &str, i: usize, resp: &Resp) {
        let e = self.entry(key);
        let what = format!("{key} (example {i}: {})", self.request(key, i).1);
        let ok = match e["status"].as_u64() {
            Some(s) => resp.status as u64 == s,
            None => (200..300).contains(&resp.status),
        };
        if !ok {
            let want = e["status"].as_u64().map_or("2xx".into(), |s| s.to_string());
            return self.fail(format!(
                "{what}: {} where the reference shows {want}: {}",
                resp.status,
                resp.text()
            ));
        }
        let Some(want) = e.get("response").cloned() else {
            return;
        };
        if !resp.header("content-type").starts_with("application/json") {
            return self.fail(format!(
                "{what}: content type {:?}",
                resp.header("content-type")
            ));
        }
        let got = resp.json();
        if std::env::var_os("MIBEE_REFERENCE_DUMP").is_some() {
            eprintln!("DUMP {what}: {got}");
        }
        let skip = self.strs(key, "deviations");
        let dynamic = self.strs(key, "dynamic_keys");
        if let Some(m) = shape_mismatch(&want, &got, "$", &skip, &dynamic) {
            return self.fail(format!(
                "{what}: not the reference's shape at {m}\n  ours: {got}"
            ));
        }
        // A documented deviation that no longer deviates is worth knowing (not a failure).
        for p in &skip {
            let (Some(w), Some(g)) = (at(&want, p), at(&got, p)) else {
                continue;
            };
            if shape_mismatch(w, g, p, &[], &dynamic).is_none() {
                eprintln!("NOTE {key}: deviation at {p} no longer observed: {g}");
            }
        }
    }

    fn fail(&mut self, msg: String) {
        eprintln!("FAIL {msg}");
        self.failures.push(msg);
    }

    /// Every example of every endpoint of the fixture was sent, and each answer conformed.
    pub fn finish(&self) {
        let mut missing = Vec::new();
        for e in self.fx["endpoints"].as_array().unwrap() {
            let key = e["endpoint"].as_str().unwrap();
            for i in 0..e["examples"].as_array().unwrap().len() {
                if !self.visited.contains(&(key.to_string(), i)) {
                    missing.push(format!("{key} #{i}"));
                }
            }
        }
        let sent = self.visited.len();
        eprintln!(
            "{} reference endpoints, {sent} examples sent, {} never sent, {} answers differ",
            self.fx["endpoints"].as_array().unwrap().len(),
            missing.len(),
            self.failures.len()
        );
        assert!(
            missing.is_empty() && self.failures.is_empty(),
            "reference examples never sent: {missing:?}\nanswers that differ from the reference:\n{}",
            self.failures.join("\n")
        );
    }
}

/// A WS-Discovery device on 127.0.0.1:3702 (UDP) answering every Probe with a ProbeMatch
/// whose XAddrs is `xaddr` (WS-Discovery 2005/04, the ONVIF profile of it).
pub struct WsDiscovery {
    task: tokio::task::JoinHandle<()>,
}

impl WsDiscovery {
    pub async fn start(xaddr: &str, uuid: &str) -> WsDiscovery {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:3702")
            .await
            .expect("bind 127.0.0.1:3702 for the WS-Discovery responder (in use?)");
        let xaddr = xaddr.to_string();
        let uuid = uuid.to_string();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                if !req.contains("Probe") {
                    continue;
                }
                let mid = req
                    .split_once("MessageID>")
                    .and_then(|(_, r)| r.split_once('<'))
                    .map(|(id, _)| id.to_string())
                    .unwrap_or_default();
                let reply = probe_match(&mid, &uuid, &xaddr);
                let _ = sock.send_to(reply.as_bytes(), from).await;
            }
        });
        WsDiscovery { task }
    }
}

impl Drop for WsDiscovery {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn probe_match(relates_to: &str, uuid: &str, xaddr: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" \
xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" \
xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">\
<s:Header><a:MessageID>urn:uuid:{uuid}-reply</a:MessageID><a:RelatesTo>{relates_to}</a:RelatesTo>\
<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>\
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>\
<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:{uuid}</a:Address>\
</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types>\
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming \
onvif://www.onvif.org/name/Camera%201 onvif://www.onvif.org/hardware/ABC-123 \
onvif://www.onvif.org/location/Office</d:Scopes><d:XAddrs>{xaddr}</d:XAddrs>\
<d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"
    )
}
