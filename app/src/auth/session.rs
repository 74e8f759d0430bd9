//! Media sessions: what lets the web UI's `<video src>`, `<img src>` and download links (which
//! cannot send a Basic header) reach the API. A client that authenticated with Basic opens one
//! with `POST /api/auth/session` and gets an HttpOnly, SameSite=Strict cookie holding a random
//! 256-bit token. The cookie authorizes GET and HEAD only, so it can read media but never change
//! anything (no CSRF surface); it ends after `SESSION_TTL`, on `DELETE /api/auth/session`, on
//! a daemon restart (kept in memory only), and as soon as the username or password changes.

use super::fingerprint as sha;
use crate::sync::LockExt;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use base64::Engine;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE_NAME: &str = "mibee_session";
/// How long a media session lasts; the UI opens a new one on every load and every hour.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; opening one more drops the one that ends soonest.
const MAX_SESSIONS: usize = 256;

struct Session {
    expires: Instant,
    /// sha256 of the username and password hash the session was opened under.
    credential_fp: [u8; 32],
}

#[derive(Default)]
pub struct Sessions {
    /// sha256(token) → session; the token itself is never stored.
    map: Mutex<HashMap<[u8; 32], Session>>,
}

/// The fingerprint of the credentials in force: a session outlives neither a new username nor
/// a new password.
pub fn credential_fp(username: &str, password_hash: &str) -> [u8; 32] {
    sha(&[username.as_bytes(), password_hash.as_bytes()])
}

/// The cookie's token in a request, if any.
fn token_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether a request may be authorized by the session cookie at all: reads only.
pub fn cookie_may_authorize(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

impl Sessions {
    /// Opens a session; returns the token for the cookie.
    pub fn open(&self, credential_fp: [u8; 32], now: Instant) -> String {
        let raw: [u8; 32] = rand::random();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let mut map = self.map.locked();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(k) = map.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k)
        {
            map.remove(&k);
        }
        map.insert(
            sha(&[token.as_bytes()]),
            Session {
                expires: now + SESSION_TTL,
                credential_fp,
            },
        );
        token
    }

    /// Whether the request carries the cookie of a live session opened under these credentials.
    pub fn valid(&self, headers: &HeaderMap, credential_fp: &[u8; 32], now: Instant) -> bool {
        let Some(token) = token_of(headers) else {
            return false;
        };
        let map = self.map.locked();
        map.get(&sha(&[token.as_bytes()]))
            .is_some_and(|s| s.expires > now && s.credential_fp == *credential_fp)
    }

    /// Ends the session the request's cookie names, if any.
    pub fn close(&self, headers: &HeaderMap) {
        if let Some(token) = token_of(headers) {
            self.map.locked().remove(&sha(&[token.as_bytes()]));
        }
    }
}

/// The Set-Cookie value for a token (`None`: the cookie that clears it).
pub fn set_cookie(token: Option<&str>) -> HeaderValue {
    let (value, age) = match token {
        Some(t) => (t, SESSION_TTL.as_secs()),
        None => ("", 0),
    };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/api; HttpOnly; SameSite=Strict; Max-Age={age}"
    ))
    .expect("cookie is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn a_session_is_valid_until_it_ends_or_the_credentials_change() {
        let s = Sessions::default();
        let now = Instant::now();
        let fp = credential_fp("admin", "$argon2id$a");
        let token = s.open(fp, now);
        assert_eq!(token.len(), 43, "256 random bits, base64url");
        let h = with_cookie(&format!("theme=dark; {COOKIE_NAME}={token}; x=1"));
        assert!(s.valid(&h, &fp, now));
        assert!(!s.valid(&h, &credential_fp("admin", "$argon2id$b"), now));
        assert!(!s.valid(&h, &credential_fp("root", "$argon2id$a"), now));
        assert!(!s.valid(&h, &fp, now + SESSION_TTL));
        assert!(!s.valid(&with_cookie(&format!("{COOKIE_NAME}=x{token}")), &fp, now));
        assert!(!s.valid(&with_cookie(&format!("{COOKIE_NAME}=")), &fp, now));
        assert!(!s.valid(&HeaderMap::new(), &fp, now));
        s.close(&h);
        assert!(!s.valid(&h, &fp, now));
    }

    #[test]
    fn sessions_are_bounded_and_only_reads_use_them() {
        let s = Sessions::default();
        let now = Instant::now();
        let fp = credential_fp("admin", "h");
        let first = s.open(fp, now);
        for i in 0..MAX_SESSIONS as u64 {
            s.open(fp, now + Duration::from_secs(i + 1));
        }
        assert_eq!(s.map.locked().len(), MAX_SESSIONS);
        let h = with_cookie(&format!("{COOKIE_NAME}={first}"));
        assert!(
            !s.valid(&h, &fp, now),
            "the soonest-ending session made room"
        );
        assert!(cookie_may_authorize(&Method::GET) && cookie_may_authorize(&Method::HEAD));
        for m in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            assert!(!cookie_may_authorize(&m), "{m}");
        }
        let c = set_cookie(Some("abc")).to_str().unwrap().to_string();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/api"));
        assert!(set_cookie(None).to_str().unwrap().contains("Max-Age=0"));
    }
}
