//! Cross-site request refusal: a page on another site must not make the user's browser
//! change anything on the box with the Basic credentials it has cached. Every method but
//! GET, HEAD and OPTIONS is refused (403 `CROSS_SITE_REQUEST`) when the browser says the
//! request is cross-site (`Sec-Fetch-Site: cross-site`) or when it names an `Origin` that
//! is not the box's own (the `Host` the request was sent to). Requests without either
//! header (curl, scripts, Home Assistant) are not browsers' and pass.

use crate::error::{ApiError, ErrorCode};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Why a request is refused, or None when it may go on.
fn refusal(method: &Method, headers: &HeaderMap) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if value("sec-fetch-site").is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
        return Some("the browser says this request comes from another site".into());
    }
    let origin = headers.get(header::ORIGIN)?;
    let Ok(origin) = origin.to_str() else {
        return Some("the request's Origin is not readable".into());
    };
    let host = value("host").unwrap_or("");
    let own = ["http://", "https://"].iter().any(|scheme| {
        origin
            .strip_prefix(scheme)
            .is_some_and(|o| o.eq_ignore_ascii_case(host))
    });
    (!own || host.is_empty()).then(|| format!("Origin {origin} is not this box ({host})"))
}

/// Middleware for every route.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    match refusal(req.method(), req.headers()) {
        None => next.run(req).await,
        Some(why) => ApiError::new(
            ErrorCode::CrossSiteRequest,
            format!("cross-site request refused: {why}"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(method: Method, pairs: &[(&str, &str)]) -> Option<String> {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        refusal(&method, &h)
    }

    #[test]
    fn only_state_changes_from_another_site_are_refused() {
        let host = ("host", "nvr.local:9090");
        // Scripts send neither header; the box's own page sends its own origin.
        assert!(ask(Method::POST, &[host]).is_none());
        assert!(ask(Method::POST, &[host, ("origin", "http://nvr.local:9090")]).is_none());
        assert!(ask(Method::PUT, &[host, ("origin", "https://NVR.local:9090")]).is_none());
        assert!(ask(Method::POST, &[host, ("sec-fetch-site", "same-origin")]).is_none());
        // Reads stay open (the media session and the UI's links).
        assert!(ask(Method::GET, &[host, ("origin", "http://evil.example")]).is_none());
        assert!(ask(Method::GET, &[host, ("sec-fetch-site", "cross-site")]).is_none());
        // Another site, another port of the same host, an opaque origin: refused.
        for bad in [
            vec![host, ("origin", "http://evil.example")],
            vec![host, ("origin", "http://nvr.local:8080")],
            vec![host, ("origin", "null")],
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![("origin", "http://nvr.local:9090")],
        ] {
            assert!(ask(Method::POST, &bad).is_some(), "{bad:?}");
            assert!(ask(Method::DELETE, &bad).is_some(), "{bad:?}");
        }
    }
}
