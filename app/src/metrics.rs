//! Prometheus metrics (OpenMetrics text at `GET /metrics`): requests by route and status,
//! auth failures, bytes written by kind, and process figures sampled at scrape time.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CameraLabels {
    pub camera: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WriteLabels {
    pub kind: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    auth_failures: Counter,
    bytes_written: Family<WriteLabels, Gauge<u64, AtomicU64>>,
    rss_bytes: Gauge,
    cpu_seconds: Gauge<f64, AtomicU64>,
    threads: Gauge,
    open_fds: Gauge,
    uptime_seconds: Gauge<f64, AtomicU64>,
    camera_connect_attempts: Family<CameraLabels, Gauge>,
    camera_recording: Family<CameraLabels, Gauge>,
    media_received: Gauge<u64, AtomicU64>,
    recorder_frames_dropped: Family<CameraLabels, Gauge<u64, AtomicU64>>,
    recorder_frames_skipped: Family<CameraLabels, Gauge<u64, AtomicU64>>,
    recorder_audio_dropped: Family<CameraLabels, Gauge<u64, AtomicU64>>,
    recorder_queue_bytes: Family<CameraLabels, Gauge<u64, AtomicU64>>,
    pipeline_restarts: Gauge<u64, AtomicU64>,
    clock_trusted: Gauge,
}

/// What one scrape reports besides the registry's own counters.
pub struct Scrape<'a> {
    pub uptime_secs: f64,
    pub bytes_written: &'a [(&'a str, u64)],
    pub cameras: &'a [(String, crate::ingest::StatusSnapshot)],
    pub media_received_bytes: u64,
    /// Per running camera: its share of the disk writer's queue.
    pub recorder: &'a [(String, std::sync::Arc<crate::storage::writer::CameraShared>)],
    pub pipeline_restarts: u64,
    pub clock_trusted: bool,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mibee");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let auth_failures = Counter::default();
        registry.register(
            "auth_failures",
            "Failed Basic auth attempts",
            auth_failures.clone(),
        );
        let bytes_written = Family::<WriteLabels, Gauge<u64, AtomicU64>>::default();
        registry.register(
            "bytes_written",
            "Bytes this process wrote to disk, by kind",
            bytes_written.clone(),
        );
        let rss_bytes = Gauge::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident set size",
            rss_bytes.clone(),
        );
        let cpu_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "process_cpu_seconds",
            "User + system CPU time",
            cpu_seconds.clone(),
        );
        let threads = Gauge::default();
        registry.register("process_threads", "OS threads", threads.clone());
        let open_fds = Gauge::default();
        registry.register(
            "process_open_fds",
            "Open file descriptors",
            open_fds.clone(),
        );
        let uptime_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "uptime_seconds",
            "Seconds since the daemon started",
            uptime_seconds.clone(),
        );
        let camera_connect_attempts = Family::<CameraLabels, Gauge>::default();
        registry.register(
            "camera_connect_attempts",
            "Connection attempts per running camera since its pipeline started",
            camera_connect_attempts.clone(),
        );
        let camera_recording = Family::<CameraLabels, Gauge>::default();
        registry.register(
            "camera_recording",
            "1 while the camera is recording",
            camera_recording.clone(),
        );
        let media_received = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "media_received_bytes",
            "Video bytes received from cameras",
            media_received.clone(),
        );
        let family = |registry: &mut Registry, name: &str, help: &str| {
            let f = Family::<CameraLabels, Gauge<u64, AtomicU64>>::default();
            registry.register(name, help, f.clone());
            f
        };
        let recorder_frames_dropped = family(
            &mut registry,
            "recorder_frames_dropped",
            "Video frames dropped because the camera's disk queue was full (a slow card)",
        );
        let recorder_frames_skipped = family(
            &mut registry,
            "recorder_frames_skipped",
            "Video frames the recorder could not place (after lost media, until a key frame)",
        );
        let recorder_audio_dropped = family(
            &mut registry,
            "recorder_audio_frames_dropped",
            "Audio frames dropped while the camera's video stalled",
        );
        let recorder_queue_bytes = family(
            &mut registry,
            "recorder_queue_bytes",
            "Bytes of the camera's media waiting for the disk",
        );
        let pipeline_restarts = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "pipeline_restarts",
            "Wedged camera pipelines restarted since start",
            pipeline_restarts.clone(),
        );
        let clock_trusted = Gauge::default();
        registry.register(
            "clock_trusted",
            "1 when the wall clock is trusted (NTP, the user, or a plausible system clock)",
            clock_trusted.clone(),
        );
        Self {
            recorder_frames_dropped,
            recorder_frames_skipped,
            recorder_audio_dropped,
            recorder_queue_bytes,
            pipeline_restarts,
            clock_trusted,
            media_received,
            camera_connect_attempts,
            camera_recording,
            registry,
            requests,
            auth_failures,
            bytes_written,
            rss_bytes,
            cpu_seconds,
            threads,
            open_fds,
            uptime_seconds,
        }
    }

    pub fn auth_failure(&self) {
        self.auth_failures.inc();
    }

    pub fn auth_failures(&self) -> u64 {
        self.auth_failures.get()
    }

    /// Samples the process figures and renders the registry.
    pub fn render(&self, s: &Scrape<'_>) -> String {
        let Scrape {
            uptime_secs,
            bytes_written,
            cameras,
            media_received_bytes,
            ..
        } = *s;
        self.media_received.set(media_received_bytes);
        self.pipeline_restarts.set(s.pipeline_restarts);
        self.clock_trusted.set(i64::from(s.clock_trusted));
        for f in [
            &self.recorder_frames_dropped,
            &self.recorder_frames_skipped,
            &self.recorder_audio_dropped,
            &self.recorder_queue_bytes,
        ] {
            f.clear();
        }
        for (id, q) in s.recorder {
            let l = CameraLabels { camera: id.clone() };
            let st = &q.stats;
            self.recorder_frames_dropped
                .get_or_create(&l)
                .set(st.frames_dropped.get());
            self.recorder_frames_skipped
                .get_or_create(&l)
                .set(st.frames_skipped.get());
            self.recorder_audio_dropped
                .get_or_create(&l)
                .set(st.audio_frames_dropped.get());
            self.recorder_queue_bytes
                .get_or_create(&l)
                .set(q.queued_bytes() as u64);
        }
        self.camera_connect_attempts.clear();
        self.camera_recording.clear();
        for (id, s) in cameras {
            let l = CameraLabels { camera: id.clone() };
            self.camera_connect_attempts
                .get_or_create(&l)
                .set(s.connect_attempts as i64);
            let rec = i64::from(s.kind == crate::ingest::StatusKind::Recording);
            self.camera_recording.get_or_create(&l).set(rec);
        }
        let p = crate::sysinfo::process_figures();
        self.rss_bytes.set(p.rss_bytes as i64);
        self.cpu_seconds.set(p.cpu_seconds);
        self.threads.set(p.threads);
        self.open_fds.set(p.open_fds as i64);
        self.uptime_seconds.set(uptime_secs);
        for (kind, n) in bytes_written {
            self.bytes_written
                .get_or_create(&WriteLabels {
                    kind: (*kind).into(),
                })
                .set(*n);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("encode metrics");
        out
    }
}

/// Middleware counting every request by its matched route (not the raw path, which would
/// let clients create unbounded label values).
pub async fn count_requests(
    State(metrics): State<std::sync::Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    resp
}
