//! `GET|PUT /api/system/time` (beyond the reference): the box's clock and whether it is
//! trusted, and setting it from the browser on a box without NTP (a camera LAN without
//! internet). Setting is refused once NTP synchronised the clock, and off the appliance
//! image (a development machine's clock belongs to its OS).

use crate::api::json::ApiJson;
use crate::api::openapi::{ERR_401, ERR_429};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeStatus {
    /// The box's clock, RFC 3339 UTC.
    pub time: String,
    /// False until NTP, the user or a plausible clock vouches for it; recordings made
    /// meanwhile keep provisional times and are never deleted for their age.
    pub trusted: bool,
    /// What made it trusted: `system`, `ntp`, `user` or `step`; empty while untrusted.
    pub source: String,
    /// Why it is not trusted (empty when it is).
    pub reason: String,
    /// NTP synchronised the clock: it cannot be set by hand.
    pub ntp_synchronised: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTime {
    /// The current time, RFC 3339 (e.g. `2026-12-02T10:15:00Z`, or with an offset).
    pub time: String,
}

fn status(app: &AppState) -> TimeStatus {
    let c = app.clock.status();
    TimeStatus {
        time: crate::media::rfc3339_ns(crate::media::now_wall_ns()),
        trusted: c.trusted,
        source: c.source,
        reason: c.reason,
        ntp_synchronised: app.clock.ntp_synchronised(),
    }
}

#[utoipa::path(get, path = "/api/system/time", operation_id = "getSystemTime", tag = "system",
    security(("basic" = [])),
    responses(
        (status = 200, body = TimeStatus),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn get_time(State(app): State<AppState>) -> Json<TimeStatus> {
    Json(status(&app))
}

#[utoipa::path(put, path = "/api/system/time", operation_id = "setSystemTime", tag = "system",
    security(("basic" = [])), request_body = SetTime,
    responses(
        (status = 200, description = "The clock was set; recordings made before it are re-anchored", body = TimeStatus),
        (status = 400, description = "INVALID_INPUT: not a time, or before 2026", body = ErrorBody),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 409, description = "CLOCK_SYNCHRONISED: NTP keeps the clock", body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
        (status = 501, description = "NOT_IMPLEMENTED: not the appliance image, or the daemon may not set the clock", body = ErrorBody),
    ))]
pub async fn set_time(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<SetTime>,
) -> ApiResult<Json<TimeStatus>> {
    let t = time::OffsetDateTime::parse(&body.time, &time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::invalid(format!("time: not an RFC 3339 time ({e})")))?;
    let ns = i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| ApiError::invalid("time: out of range"))?;
    if !(crate::clock::RELEASE_FLOOR_NS..crate::clock::LATEST_NS).contains(&ns) {
        return Err(ApiError::invalid(
            "time: must be between 2026-01-01 and 2200-01-01",
        ));
    }
    if !crate::api::firmware::on_appliance() {
        // A development machine's clock belongs to its OS (and tests run as root).
        return Err(ApiError::new(
            ErrorCode::NotImplemented,
            "setting the clock is only available on the appliance image",
        ));
    }
    if app.clock.ntp_synchronised() {
        return Err(ApiError::new(
            ErrorCode::ClockSynchronised,
            "NTP keeps this box's clock; it cannot be set by hand",
        ));
    }
    crate::clock::set_system_time(ns).map_err(|e| {
        ApiError::new(
            ErrorCode::NotImplemented,
            format!("this daemon may not set the clock: {e}"),
        )
    })?;
    app.clock.set_by_user();
    if let Err(e) = app.clock.save() {
        tracing::warn!(error = %e, "could not save the clock");
    }
    tracing::warn!(time = %body.time, "the clock was set by the user");
    Ok(Json(status(&app)))
}
