//! Unauthenticated liveness and readiness: `GET /api/health` (database and storage checks
//! with free-space thresholds) and `GET /api/readyz`.

use crate::duration::format_uptime;
use crate::fsutil::fs_usage;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// `ok`, `warning` or `error`.
    pub status: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StorageCheck {
    pub status: String,
    pub message: String,
    pub total_bytes: u64,
    pub available_bytes: u64,
    pub used_percent: f64,
    /// Recording is paused: the disk is full and nothing of ours is left to delete.
    pub recording_paused: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthChecks {
    pub database: Check,
    pub storage: StorageCheck,
    /// `warning` while the clock is not synchronised (a box without a real-time clock before
    /// NTP answers): recordings keep provisional times, corrected when it is set.
    pub clock: Check,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `degraded` (a warning) or `unhealthy` (an error; HTTP 503).
    pub status: String,
    pub checks: HealthChecks,
    /// Daemon uptime like `2h34m15s`.
    pub uptime: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ok` or `unavailable`.
    pub status: String,
}

fn database_check(app: &AppState) -> Check {
    match app.db.ping() {
        Ok(()) => Check {
            status: "ok".into(),
            message: String::new(),
        },
        Err(e) => Check {
            status: "error".into(),
            message: e.to_string(),
        },
    }
}

fn storage_check(app: &AppState) -> StorageCheck {
    let root = app.storage_root();
    let threshold = app.config.get().cleanup.disk_threshold_percent as f64;
    match fs_usage(&root) {
        Err(e) => StorageCheck {
            status: "error".into(),
            message: format!("{}: {e}", root.display()),
            total_bytes: 0,
            available_bytes: 0,
            used_percent: 0.0,
            recording_paused: app.reclaimer.is_full(),
        },
        Ok(u) => {
            let used = (u.used_percent() * 10.0).round() / 10.0;
            let floor = crate::storage::retention::floor_bytes(u.total_bytes);
            let (status, message) = if app.reclaimer.is_full() {
                (
                    "error",
                    "storage full: recording paused, nothing left to reclaim".to_string(),
                )
            } else {
                classify_storage(u.available_bytes, floor, used, threshold)
            };
            StorageCheck {
                status: status.into(),
                message,
                recording_paused: app.reclaimer.is_full(),
                total_bytes: u.total_bytes,
                available_bytes: u.available_bytes,
                used_percent: used,
            }
        }
    }
}

/// `warning` below the free-space floor (recorders are reclaiming) or at or above the
/// cleanup threshold.
fn classify_storage(
    available_bytes: u64,
    floor_bytes: u64,
    used_percent: f64,
    threshold: f64,
) -> (&'static str, String) {
    if available_bytes < floor_bytes {
        (
            "warning",
            format!(
                "only {} MiB free: the oldest recordings are being deleted",
                available_bytes >> 20
            ),
        )
    } else if used_percent >= threshold {
        (
            "warning",
            format!("disk {used_percent}% used, threshold {threshold}%"),
        )
    } else {
        ("ok", String::new())
    }
}

#[utoipa::path(get, path = "/api/health", operation_id = "health", tag = "system",
    responses(
        (status = 200, description = "Healthy or degraded", body = Health),
        (status = 503, description = "A check failed", body = Health),
    ))]
pub async fn health(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = database_check(&app);
    let storage = storage_check(&app);
    let clock = {
        let c = app.clock.status();
        Check {
            status: if c.trusted { "ok" } else { "warning" }.into(),
            message: c.reason,
        }
    };
    let statuses = [
        database.status.as_str(),
        storage.status.as_str(),
        clock.status.as_str(),
    ];
    let (code, status) = if statuses.contains(&"error") || app.is_shutting_down() {
        (StatusCode::SERVICE_UNAVAILABLE, "unhealthy")
    } else if statuses.contains(&"warning") {
        (StatusCode::OK, "degraded")
    } else {
        (StatusCode::OK, "ok")
    };
    let body = Health {
        status: status.into(),
        checks: HealthChecks {
            database,
            storage,
            clock,
        },
        uptime: format_uptime(app.started.elapsed()),
    };
    (code, Json(body))
}

#[utoipa::path(get, path = "/api/readyz", operation_id = "readyz", tag = "system",
    responses(
        (status = 200, description = "Ready", body = Ready),
        (status = 503, description = "Starting, stopping or the database fails", body = Ready),
    ))]
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Ready>) {
    if app.is_shutting_down() || app.db.ping().is_err() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Ready {
                status: "unavailable".into(),
            }),
        )
    } else {
        (
            StatusCode::OK,
            Json(Ready {
                status: "ok".into(),
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::classify_storage;

    #[test]
    fn storage_thresholds() {
        let gib = 1 << 30;
        let floor = 256 << 20;
        assert_eq!(classify_storage(10 * gib, floor, 40.0, 95.0).0, "ok");
        assert_eq!(classify_storage(10 * gib, floor, 95.0, 95.0).0, "warning");
        let low = classify_storage(100 << 20, floor, 10.0, 95.0);
        assert_eq!(low.0, "warning");
        assert!(low.1.contains("100 MiB"), "{}", low.1);
    }
}
