//! `GET /api/stats/system` (CPU, memory, process RSS, network bytes, uptime), `GET /metrics`
//! and `GET /api/transcoding/check`.

use crate::api::openapi::{ERR_401, ERR_429};
use crate::duration::format_uptime;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct CpuStats {
    /// CPU time since boot over all states, in clock ticks (USER_HZ).
    pub total: u64,
    /// Idle (and I/O wait) ticks since boot.
    pub idle: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemoryStats {
    pub total: u64,
    pub available: u64,
    pub process_rss: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkStats {
    pub bytes_sent: u64,
    pub bytes_recv: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemStats {
    pub cpu: CpuStats,
    pub memory: MemoryStats,
    pub network: NetworkStats,
    pub uptime: String,
    /// Unix seconds.
    pub timestamp: i64,
}

#[utoipa::path(get, path = "/api/stats/system", operation_id = "systemStats", tag = "system", security(("basic" = [])),
    responses(
        (status = 200, body = SystemStats),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn stats_system(State(app): State<AppState>) -> Json<SystemStats> {
    let f = tokio::task::spawn_blocking(crate::sysinfo::system_figures)
        .await
        .unwrap_or_default();
    Json(SystemStats {
        cpu: CpuStats {
            total: f.cpu_total_ticks,
            idle: f.cpu_idle_ticks,
        },
        memory: MemoryStats {
            total: f.mem_total_bytes,
            available: f.mem_available_bytes,
            process_rss: f.process_rss_bytes,
        },
        network: NetworkStats {
            bytes_sent: f.net_sent_bytes,
            bytes_recv: f.net_recv_bytes,
        },
        uptime: format_uptime(app.started.elapsed()),
        timestamp: time::OffsetDateTime::now_utc().unix_timestamp(),
    })
}

#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "system", security(("basic" = [])),
    responses(
        (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let text = app.metrics.render(&crate::metrics::Scrape {
        uptime_secs: app.started.elapsed().as_secs_f64(),
        bytes_written: &app.bytes_written(),
        cameras: &app.pipelines.statuses(),
        media_received_bytes: app.media_received_bytes(),
        recorder: &app.pipelines.queue_stats(),
        pipeline_restarts: app
            .pipelines
            .restarts
            .load(std::sync::atomic::Ordering::Relaxed),
        clock_trusted: app.clock.is_trusted(),
    });
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

#[utoipa::path(get, path = "/api/transcoding/check", operation_id = "transcodingCheck", tag = "system",
    security(("basic" = [])),
    responses(
        (status = 200, body = crate::transcode::check::TranscodingCheck),
        (status = 401, description = ERR_401, body = ErrorBody),
        (status = 429, description = ERR_429, body = ErrorBody),
    ))]
pub async fn transcoding_check(
    State(app): State<AppState>,
) -> ApiResult<Json<crate::transcode::check::TranscodingCheck>> {
    let check = app
        .transcoding
        .get_or_try_init(|| async {
            tokio::task::spawn_blocking(crate::transcode::check::run)
                .await
                .map_err(ApiError::internal)
        })
        .await?;
    Ok(Json(check.clone()))
}
