//! HTTP Basic authentication for the protected API: verification with a short-lived cache of
//! successes, per-address rate limiting of failures, the 401/429 answers the API decisions ask
//! for (design/spec-decisions.md), and the media-session cookie accepted instead of Basic for
//! reads (session.rs).

mod hash;
mod limiter;
pub mod session;

use crate::sync::LockExt;
pub use hash::{check_hash_format, hash_password, verify_password};
pub use limiter::FailureLimiter;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Successful verifications kept at most (one per distinct credential pair).
const CACHE_CAPACITY: usize = 64;

#[derive(Default)]
pub struct AuthState {
    /// sha256(username, password, stored hash) → expiry. Changing the password changes the key.
    verified: Mutex<HashMap<[u8; 32], Instant>>,
    pub limiter: FailureLimiter,
    pub sessions: session::Sessions,
}

impl AuthState {
    fn cached(&self, key: &[u8; 32], now: Instant) -> bool {
        self.verified
            .locked()
            .get(key)
            .is_some_and(|exp| *exp > now)
    }

    fn remember(&self, key: [u8; 32], expiry: Instant, now: Instant) {
        let mut map = self.verified.locked();
        map.retain(|_, exp| *exp > now);
        if map.len() >= CACHE_CAPACITY {
            map.clear();
        }
        map.insert(key, expiry);
    }
}

/// SHA-256 over length-prefixed parts (no two part lists collide): the key of a cached
/// verification, and of media sessions and their credentials.
pub(crate) fn fingerprint(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

fn credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let parsed = (|| {
        let text = value.to_str().ok()?;
        let (scheme, b64) = text.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (u, p) = text.split_once(':')?;
        Some((u.to_string(), p.to_string()))
    })();
    Some(parsed.ok_or(()))
}

/// Whether the browser's own Basic prompt makes sense: not for the web UI's calls
/// (`X-Requested-With`) nor for its media and download elements, which browsers mark with
/// `Sec-Fetch-Dest` (video, image, …): there a prompt would hold the request open instead of
/// failing it. Scripts and a URL typed in the address bar (`document`) still get it.
fn wants_basic_prompt(headers: &HeaderMap) -> bool {
    let dest = headers
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("document");
    !headers.contains_key("x-requested-with") && dest.eq_ignore_ascii_case("document")
}

fn unauthorized(code: ErrorCode, message: &str, headers: &HeaderMap) -> Response {
    let mut err = ApiError::new(code, message);
    if wants_basic_prompt(headers) {
        err = err.with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"MiBee NVR\", charset=\"UTF-8\""),
        );
    }
    err.into_response()
}

/// 429 with `Retry-After` in whole seconds.
fn rate_limited(retry: std::time::Duration) -> Response {
    let secs = retry.as_secs() + u64::from(retry.subsec_nanos() > 0);
    ApiError::new(
        ErrorCode::RateLimited,
        "too many failed login attempts; try again later",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(secs.max(1)))
    .into_response()
}

/// Middleware for every protected route.
pub async fn require_auth(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let cfg = app.config.get();
    let auth = &cfg.auth;
    if auth.password_hash.is_empty() {
        return next.run(req).await;
    }
    let ip = peer.ip();
    let now = Instant::now();
    let window = auth.rate_limit.window.as_duration();
    if let Some(retry) = app
        .auth
        .limiter
        .locked(ip, auth.rate_limit.max_failures, window, now)
    {
        return rate_limited(retry);
    }
    let headers = req.headers();
    if !headers.contains_key(header::AUTHORIZATION)
        && session::cookie_may_authorize(req.method())
        && app.auth.sessions.valid(
            headers,
            &session::credential_fp(&auth.username, &auth.password_hash),
            now,
        )
    {
        return next.run(req).await;
    }
    let (user, pass) = match credentials(headers) {
        None => return unauthorized(ErrorCode::AuthRequired, "authentication required", headers),
        Some(Ok(c)) => c,
        Some(Err(())) => {
            app.auth.limiter.record_failure(ip, window, now);
            app.metrics.auth_failure();
            return unauthorized(
                ErrorCode::AuthFailed,
                "authentication failed: malformed credentials",
                headers,
            );
        }
    };
    let key = fingerprint(&[
        user.as_bytes(),
        pass.as_bytes(),
        auth.password_hash.as_bytes(),
    ]);
    let user_ok = user == auth.username;
    let ok = if user_ok && app.auth.cached(&key, now) {
        true
    } else {
        // One check at a time per address: a parallel guess waits, then finds the address
        // locked out (or the credentials verified by the check before it).
        let _turn = app.auth.limiter.turn(ip).await;
        let now = Instant::now();
        if let Some(retry) = app
            .auth
            .limiter
            .locked(ip, auth.rate_limit.max_failures, window, now)
        {
            return rate_limited(retry);
        }
        if user_ok && app.auth.cached(&key, now) {
            true
        } else {
            // The hash runs for a wrong user too: a wrong user and a wrong password take
            // the same time, so user names cannot be told apart.
            let hash = auth.password_hash.clone();
            let good = tokio::task::spawn_blocking(move || verify_password(&pass, &hash))
                .await
                .unwrap_or(false)
                && user_ok;
            if good {
                let ttl = auth.verify_cache_ttl.as_duration();
                if !ttl.is_zero() {
                    app.auth.remember(key, now + ttl, now);
                }
            } else {
                // Counted before the turn passes on, so the next check sees it.
                app.auth.limiter.record_failure(ip, window, now);
            }
            good
        }
    };
    if ok {
        app.auth.limiter.record_success(ip);
        next.run(req).await
    } else {
        app.metrics.auth_failure();
        unauthorized(
            ErrorCode::AuthFailed,
            "authentication failed: invalid username or password",
            headers,
        )
    }
}
