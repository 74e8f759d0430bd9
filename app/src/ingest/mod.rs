//! Camera ingest: one supervised task per running camera owns its connection, publishes to
//! the camera's hub, reconnects with capped exponential backoff plus jitter, and reports
//! its status (connecting, recording, reconnecting, error with a reason) and `last_seen`.

pub mod http;
pub mod http_mjpeg;
pub mod manager;
pub mod onvif_source;
pub mod rtsp;

use crate::config::CameraConfig;
use crate::media::hub::Hub;
use crate::sync::LockExt;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// Runtime state of one camera as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Connecting,
    Recording,
    Reconnecting,
    Error,
    Stopped,
}

#[derive(Debug, Clone)]
pub struct StatusSnapshot {
    pub kind: StatusKind,
    pub reason: String,
    /// Unix nanoseconds of the last video frame.
    pub last_seen_ns: Option<i64>,
    /// When the last video frame arrived, on the monotonic clock (the pipeline watchdog's
    /// measure: the wall clock may step).
    pub last_seen: Option<std::time::Instant>,
    /// Unix nanoseconds of the first packet of the current run of recording (None while not
    /// recording): where the segment still being written began, at the latest.
    pub recording_since_ns: Option<i64>,
    /// Connection attempts since the pipeline started.
    pub connect_attempts: u64,
}

pub struct Status(Mutex<StatusSnapshot>);

impl Default for Status {
    fn default() -> Self {
        Self(Mutex::new(StatusSnapshot {
            kind: StatusKind::Connecting,
            reason: String::new(),
            last_seen_ns: None,
            last_seen: None,
            recording_since_ns: None,
            connect_attempts: 0,
        }))
    }
}

impl Status {
    pub fn set(&self, kind: StatusKind, reason: impl Into<String>) {
        let mut s = self.0.locked();
        if kind != StatusKind::Recording {
            s.recording_since_ns = None;
        }
        s.kind = kind;
        s.reason = reason.into();
    }
    /// A video frame arrived: the camera is recording.
    pub fn seen(&self, wall_ns: i64) {
        let mut s = self.0.locked();
        s.last_seen_ns = Some(wall_ns);
        s.last_seen = Some(std::time::Instant::now());
        s.recording_since_ns.get_or_insert(wall_ns);
        if s.kind != StatusKind::Recording {
            s.kind = StatusKind::Recording;
            s.reason.clear();
        }
    }
    /// Why the camera delivers nothing, when its last attempt failed.
    pub fn failure(&self) -> Option<String> {
        let s = self.0.locked();
        (matches!(s.kind, StatusKind::Error | StatusKind::Reconnecting) && !s.reason.is_empty())
            .then(|| s.reason.clone())
    }
    pub fn attempt(&self) {
        self.0.locked().connect_attempts += 1;
    }
    pub fn snapshot(&self) -> StatusSnapshot {
        self.0.locked().clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("authentication rejected by the camera (check username and password)")]
    Auth,
    #[error("timeout: {0}")]
    Timeout(String),
    /// The session delivers no video (its audio may still flow).
    #[error("no video for {0} s")]
    NoVideo(u64),
    #[error("the camera ended the stream")]
    Ended,
    #[error("{0}")]
    Media(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Rtsp(String),
}

impl SessionError {
    pub fn from_retina(e: retina::Error) -> Self {
        let text = e.to_string();
        if text.contains("401") || text.contains("Unauthorized") {
            SessionError::Auth
        } else {
            SessionError::Rtsp(text)
        }
    }

    /// Errors a reconnect will not fix quickly: shown as `error`, retried slowly.
    fn is_persistent(&self) -> bool {
        matches!(
            self,
            SessionError::Auth | SessionError::Config(_) | SessionError::Media(_)
        )
    }
}

/// Refuses a camera URL the process's network policy does not allow (before any
/// connection; see `net_policy`).
pub fn check_camera_host(url: &str) -> Result<(), SessionError> {
    crate::net_policy::check_url(url).map_err(SessionError::Config)
}

/// Reconnect delays. Transient failures (refused, dropped, stalled): 250 ms doubling to a
/// 1 s cap, so a camera that comes back records again within about a second. Persistent
/// ones (rejected credentials, unusable stream): 5 s doubling to 5 min, so a misconfigured
/// camera is not hammered. ±20 % jitter spreads cameras that failed together.
pub fn backoff(attempt: u32, persistent: bool) -> Duration {
    let (base_ms, cap_ms): (u64, u64) = if persistent {
        (5_000, 300_000)
    } else {
        (250, 1_000)
    };
    let ms = base_ms.saturating_mul(1 << attempt.min(16)).min(cap_ms);
    let jitter = rand::random_range(0.8..1.2);
    Duration::from_millis((ms as f64 * jitter) as u64)
}

/// Where a session's media goes: the recorder's GOP assembler first, inline (one task per
/// camera, no task hop per frame, never waiting for the disk), then the hub for every other
/// consumer (live view, snapshots). A live-only connection (a camera viewed but not
/// recorded, or its sub-stream) has no recorder.
pub struct Sink {
    pub hub: std::sync::Arc<Hub>,
    pub recorder: Option<crate::storage::gop::GopAssembler>,
    /// MJPEG `sample_interval`: the recorder keeps every Nth frame (viewers get them all).
    pub record_every: crate::media::mjpeg::Decimator,
}

impl Sink {
    pub fn new(
        hub: std::sync::Arc<Hub>,
        recorder: Option<crate::storage::gop::GopAssembler>,
    ) -> Self {
        Self {
            hub,
            recorder,
            record_every: crate::media::mjpeg::Decimator::new(1),
        }
    }

    pub fn emit(&mut self, ev: crate::media::MediaEvent) {
        if let Some(r) = self.recorder.as_mut() {
            let keep = match &ev {
                crate::media::MediaEvent::Video(_) => self.record_every.keep(),
                _ => true,
            };
            if keep {
                r.on_event(&ev);
            }
        }
        self.hub.publish(ev);
    }
}

/// Runs one camera until `stop` turns true: session, then backoff, then again.
pub async fn supervise(
    cam: CameraConfig,
    mut sink: Sink,
    status: std::sync::Arc<Status>,
    mut stop: watch::Receiver<bool>,
) {
    let mut attempt = 0u32;
    loop {
        if *stop.borrow() {
            break;
        }
        status.set(
            if attempt == 0 {
                StatusKind::Connecting
            } else {
                StatusKind::Reconnecting
            },
            status.snapshot().reason,
        );
        let started = std::time::Instant::now();
        status.attempt();
        let source = cam.source();
        let onvif = source == crate::config::Source::OnvifDevice;
        let is_http = source == crate::config::Source::HttpMjpeg;
        sink.record_every = crate::media::mjpeg::Decimator::new(
            if cam.encoding == crate::config::Encoding::Mjpeg {
                cam.sample_interval
            } else {
                1
            },
        );
        let result = match check_camera_host(&cam.url) {
            Ok(()) if is_http => http_mjpeg::run_session(&cam, &mut sink, &status, &mut stop).await,
            Ok(()) if onvif => match onvif_source::resolve(&cam).await {
                Ok(resolved) => rtsp::run_session(&resolved, &mut sink, &status, &mut stop).await,
                Err(e) => Err(e),
            },
            Ok(()) => rtsp::run_session(&cam, &mut sink, &status, &mut stop).await,
            Err(e) => Err(e),
        };
        if *stop.borrow() {
            break;
        }
        let err = match result {
            Ok(()) => break,
            Err(e) => e,
        };
        // A session that ran a while resets the backoff: the camera came back.
        if started.elapsed() > Duration::from_secs(30) {
            attempt = 0;
        }
        let persistent = err.is_persistent();
        let delay = backoff(attempt, persistent);
        attempt = attempt.saturating_add(1);
        tracing::warn!(camera = %cam.id, error = %err, retry_in_ms = delay.as_millis() as u64, "camera session ended");
        status.set(
            if persistent {
                StatusKind::Error
            } else {
                StatusKind::Reconnecting
            },
            err.to_string(),
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => break,
        }
    }
    if let Some(r) = sink.recorder.as_mut() {
        r.finish();
    }
    status.set(StatusKind::Stopped, "");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        for a in 0..40 {
            let d = backoff(a, false);
            assert!(d <= Duration::from_millis(1_200), "{a}: {d:?}");
            assert!(d >= Duration::from_millis(200));
        }
        assert!(backoff(0, true) >= Duration::from_secs(4));
        assert!(backoff(30, true) > Duration::from_secs(200));
        let samples: std::collections::HashSet<_> = (0..20).map(|_| backoff(3, false)).collect();
        assert!(samples.len() > 1, "jitter varies the delay");
    }
}
