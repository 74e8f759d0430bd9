//! The HTTP under every ONVIF call: a bounded `oxvif::transport::Transport`. Each SOAP
//! request has a connect timeout and a total timeout, a reply is read up to
//! `MAX_REPLY_BYTES` and must be UTF-8, and an HTTP Digest challenge (devices that guard
//! SOAP at the HTTP layer as well as, or instead of, WS-Security) is answered once.
//! oxvif's own transport reads replies of any size, which a hostile device could use to
//! exhaust memory.

use async_trait::async_trait;
use oxvif::transport::{Transport, TransportError};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use std::sync::OnceLock;
use std::time::Duration;

/// Largest SOAP reply read; GetProfiles of a 16-channel NVR is ~200 KB.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One SOAP exchange, including the Digest retry.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(6);

/// The HTTP status this transport reports for a reply it refused to read (too large, not
/// UTF-8): a 2xx the SOAP layer never sees, so `onvif::classify` can tell it apart.
pub const REFUSED_REPLY_STATUS: u16 = 299;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // Cameras on a LAN serve HTTPS with self-signed certificates; the URL is the owner's.
            .danger_accept_invalid_certs(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mibee-nvr/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("ONVIF HTTP client")
    })
}

/// A transport with the camera's credentials for HTTP Digest.
pub struct Bounded {
    credentials: Option<(String, String)>,
}

impl Bounded {
    pub fn new(credentials: Option<(String, String)>) -> Self {
        Self { credentials }
    }

    async fn post(
        &self,
        url: &str,
        action: &str,
        body: &str,
        authorization: Option<String>,
    ) -> Result<reqwest::Response, TransportError> {
        let mut req = client()
            .post(url)
            .header(
                CONTENT_TYPE,
                format!("application/soap+xml; charset=utf-8; action=\"{action}\""),
            )
            .body(body.to_string());
        if let Some(a) = authorization {
            req = req.header(AUTHORIZATION, a);
        }
        Ok(req.send().await?)
    }

    /// The `Authorization` answering a Digest challenge, when there is one and we have
    /// credentials.
    fn digest_answer(&self, resp: &reqwest::Response, url: &str, body: &str) -> Option<String> {
        let (user, pass) = self.credentials.as_ref()?;
        let challenge = resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest"))?;
        let mut prompt = digest_auth::parse(challenge).ok()?;
        let parsed = url::Url::parse(url).ok()?;
        let uri = match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_string(),
        };
        let mut ctx = digest_auth::AuthContext::new_post(
            user.as_str(),
            pass.as_str(),
            uri,
            Some(body.as_bytes()),
        );
        ctx.method = digest_auth::HttpMethod::POST;
        Some(prompt.respond(&ctx).ok()?.to_header_string())
    }
}

/// Reads at most `MAX_REPLY_BYTES` of the body, and checks it is a SOAP reply to `action`.
async fn read_bounded(mut resp: reqwest::Response, action: &str) -> Result<String, TransportError> {
    let refused = |why: String| TransportError::HttpStatus {
        status: REFUSED_REPLY_STATUS,
        body: why,
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_REPLY_BYTES as u64)
    {
        return Err(refused(format!(
            "reply larger than {} KiB",
            MAX_REPLY_BYTES / 1024
        )));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if buf.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(refused(format!(
                "reply larger than {} KiB",
                MAX_REPLY_BYTES / 1024
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(buf).map_err(|_| refused("reply is not UTF-8 text".into()))?;
    super::envelope::check(&text, action).map_err(refused)?;
    Ok(text)
}

#[async_trait]
impl Transport for Bounded {
    async fn soap_post(
        &self,
        url: &str,
        action: &str,
        body: String,
    ) -> Result<String, TransportError> {
        let mut resp = self.post(url, action, &body, None).await?;
        if resp.status() == StatusCode::UNAUTHORIZED
            && let Some(answer) = self.digest_answer(&resp, url, &body)
        {
            resp = self.post(url, action, &body, Some(answer)).await?;
        }
        let status = resp.status();
        // SOAP 1.2 faults arrive as 400 (env:Sender) or 500 (env:Receiver): the SOAP layer
        // reads the fault from the body.
        if status.is_success()
            || status == StatusCode::BAD_REQUEST
            || status == StatusCode::INTERNAL_SERVER_ERROR
        {
            return read_bounded(resp, action).await;
        }
        let body = read_bounded(resp, action).await.unwrap_or_default();
        Err(TransportError::HttpStatus {
            status: status.as_u16(),
            body: body.chars().take(200).collect(),
        })
    }
}
