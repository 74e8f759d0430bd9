//! One bounded HTTP exchange with the Xiaomi cloud: no automatic redirects (the login reads the
//! headers and cookies of each hop), the whole exchange under the configured timeout, replies
//! capped at 1 MiB, Set-Cookie values collected; and the cloud errors a user can act on.

use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::Value;
use std::time::Duration;

/// Replies larger than this are refused (a device list of a few hundred devices is ~100 KB).
pub const MAX_REPLY_BYTES: usize = 1 << 20;
/// Account replies start with this before their JSON.
const ACCOUNT_PREFIX: &str = "&&&START&&&";

#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error("the Xiaomi cloud is unreachable: {0}")]
    Unreachable(String),
    #[error("the Xiaomi cloud did not answer within {0} s")]
    Timeout(u64),
    #[error("the Xiaomi cloud sent an unexpected reply: {0}")]
    Malformed(String),
    /// Wrong account name, password, captcha or verification code.
    #[error("Xiaomi rejected the sign-in: {0}")]
    Rejected(String),
    /// The service token is no longer accepted (code 3), and signing in again did not help.
    #[error("the Xiaomi session has expired; sign in again")]
    Expired,
    #[error("the Xiaomi cloud answered with error {code}: {message}")]
    Api { code: i64, message: String },
}

pub type CloudResult<T> = Result<T, CloudError>;

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    /// Set-Cookie name/value pairs, in order.
    pub cookies: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> CloudResult<&str> {
        std::str::from_utf8(&self.body)
            .map_err(|_| CloudError::Malformed("the reply is not UTF-8".into()))
    }

    /// An account-host reply: `&&&START&&&` then a JSON object.
    pub fn account_json(&self) -> CloudResult<Value> {
        let text = self.text()?.trim();
        let json = text.strip_prefix(ACCOUNT_PREFIX).unwrap_or(text);
        match serde_json::from_str::<Value>(json) {
            Ok(v) if v.is_object() => Ok(v),
            _ => Err(CloudError::Malformed(format!(
                "the account service answered HTTP {} with no JSON object",
                self.status
            ))),
        }
    }
}

pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
    user_agent: String,
}

fn cookie_header(cookies: &[(&str, &str)]) -> String {
    cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn set_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

impl Http {
    pub fn new(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .expect("reqwest client");
        let hex: String = (0..13)
            .map(|_| char::from(b"ABCDEF"[rand::random_range(0..6)]))
            .collect();
        Self {
            client,
            timeout,
            user_agent: format!(
                "Android-7.1.1-1.0.0-ONEPLUS A3010-136-{hex} APP/xiaomi.smarthome APPV/62830"
            ),
        }
    }

    pub async fn get(&self, url: &str, cookies: &[(&str, &str)]) -> CloudResult<Reply> {
        self.send(self.client.get(url), cookies).await
    }

    /// POSTs an urlencoded form (keys in the given order).
    pub async fn post_form(
        &self,
        url: &str,
        cookies: &[(&str, &str)],
        form: &[(String, String)],
        headers: &[(&str, &str)],
    ) -> CloudResult<Reply> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let mut rb = self
            .client
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        self.send(rb, cookies).await
    }

    async fn send(
        &self,
        rb: reqwest::RequestBuilder,
        cookies: &[(&str, &str)],
    ) -> CloudResult<Reply> {
        // The loopback-only test mode (serve --loopback-cameras-only) covers the cloud too: a
        // fuzzer's sign-ins must not leave the box, not even as a DNS lookup.
        if let Some(url) = rb
            .try_clone()
            .and_then(|r| r.build().ok())
            .map(|r| r.url().to_string())
            && crate::net_policy::check_url(&url).is_err()
        {
            return Err(CloudError::Unreachable(format!(
                "loopback-only test mode: not contacting {url}"
            )));
        }
        let mut rb = rb.header("User-Agent", &self.user_agent);
        if !cookies.is_empty() {
            rb = rb.header("Cookie", cookie_header(cookies));
        }
        let exchange = async {
            let mut resp = rb.send().await.map_err(|e| {
                // The innermost cause says what happened ("Connection refused", a DNS error).
                let mut cause: &dyn std::error::Error = &e;
                while let Some(next) = cause.source() {
                    cause = next;
                }
                CloudError::Unreachable(cause.to_string())
            })?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let mut body = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| CloudError::Unreachable(format!("the reply broke off: {e}")))?
            {
                if body.len() + chunk.len() > MAX_REPLY_BYTES {
                    return Err(CloudError::Malformed(format!(
                        "the reply is larger than {} KiB",
                        MAX_REPLY_BYTES / 1024
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Reply {
                status,
                cookies: set_cookies(&headers),
                headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| CloudError::Timeout(self.timeout.as_secs().max(1)))?
    }
}
