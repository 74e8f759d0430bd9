//! Request extractors that turn every malformed body, path or query into `INVALID_INPUT`
//! (never axum's plain-text 4xx, never a 500), and the small shared response bodies.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// Like `axum::Json`, with rejections mapped to `INVALID_INPUT`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(ApiError::invalid(tidy(&rej.body_text()))),
        }
    }
}

/// Drops axum's generic preamble so the message starts with what was wrong.
fn tidy(text: &str) -> String {
    const PREFIXES: [&str; 3] = [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
        "Failed to deserialize query string: ",
    ];
    let t = PREFIXES
        .iter()
        .fold(text, |t, p| t.strip_prefix(p).unwrap_or(t));
    t.to_string()
}

/// Like `axum::extract::Path`, with rejections mapped to `INVALID_INPUT`.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(rej) => Err(ApiError::invalid(rej.body_text())),
        }
    }
}

/// `{"status": "..."}`, the answer of most write endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    pub status: String,
}

impl StatusBody {
    pub fn new(s: &str) -> axum::Json<Self> {
        axum::Json(Self { status: s.into() })
    }
}
