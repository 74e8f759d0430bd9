//! The web UI: the single-page app built from app/ui (`npm run build` → app/ui/dist), embedded
//! in release builds by rust-embed (debug builds read app/ui/dist at run time), served at `/`
//! without authentication (the app asks for credentials and sends them to the API). Files are
//! served at their paths; any other GET of a path without an extension outside `/api` is the
//! app's own route and gets index.html. A build without the UI still serves the API, and
//! answers `/` with a JSON 404 saying so.

use crate::error::{ApiError, ErrorCode};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "ui/dist/"]
#[allow_missing = true]
struct Assets;

fn file(path: &str) -> Option<Response> {
    let f = Assets::get(path)?;
    // Vite names built assets by content hash: cache them for good; index.html never.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, f.metadata.mimetype().to_string()),
                (header::CACHE_CONTROL, cache.to_string()),
            ],
            f.data.into_owned(),
        )
            .into_response(),
    )
}

/// The router's fallback: a UI file, the app for its own routes, else the JSON 404.
pub async fn serve(req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/');
    let api = path == "api" || path.starts_with("api/");
    if matches!(*req.method(), Method::GET | Method::HEAD) && !api {
        let wanted = if path.is_empty() { "index.html" } else { path };
        if let Some(r) = file(wanted) {
            return r;
        }
        let last = path.rsplit('/').next().unwrap_or("");
        if !last.contains('.')
            && let Some(r) = file("index.html")
        {
            return r;
        }
        if path.is_empty() {
            return ApiError::new(
                ErrorCode::NotFound,
                "this build has no web UI (build app/ui with `make ui`); the API is under /api",
            )
            .into_response();
        }
    }
    ApiError::new(
        ErrorCode::NotFound,
        format!("no such endpoint: {}", req.uri().path()),
    )
    .into_response()
}
