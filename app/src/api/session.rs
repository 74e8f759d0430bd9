//! `POST /api/auth/session` and `DELETE /api/auth/session`: open and end the media session
//! (auth/session.rs) whose cookie lets the web UI's video, image and download elements read
//! the API with GET.

use crate::api::openapi::{ERR_401, ERR_429};
use crate::auth::session::{self, SESSION_TTL};
use crate::error::ErrorBody;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::time::Instant;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// When the cookie stops working (RFC 3339).
    pub expires_at: String,
}

#[utoipa::path(post, path = "/api/auth/session", operation_id = "openMediaSession", tag = "system", security(("basic" = [])),
    description = "Opens a media session for the credentials of this request: an HttpOnly, SameSite=Strict cookie `mibee_session` that authorizes GET and HEAD requests only (video, snapshots, downloads), for 12 hours or until the password changes.",
    responses(
        (status = 200, body = SessionView, headers(("Set-Cookie" = String, description = "mibee_session=…; Path=/api; HttpOnly; SameSite=Strict"))),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn open(State(app): State<AppState>) -> Response {
    let cfg = app.config.get();
    let fp = session::credential_fp(&cfg.auth.username, &cfg.auth.password_hash);
    let token = app.auth.sessions.open(fp, Instant::now());
    let expires = time::OffsetDateTime::now_utc() + SESSION_TTL;
    let body = SessionView {
        expires_at: crate::media::rfc3339_ns(expires.unix_timestamp_nanos() as i64),
    };
    (
        [(header::SET_COOKIE, session::set_cookie(Some(&token)))],
        Json(body),
    )
        .into_response()
}

#[utoipa::path(delete, path = "/api/auth/session", operation_id = "closeMediaSession", tag = "system", security(("basic" = [])),
    description = "Ends the media session named by the request's cookie (if any) and clears the cookie.",
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn close(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.auth.sessions.close(&headers);
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::set_cookie(None))],
    )
        .into_response()
}
