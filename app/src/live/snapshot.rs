//! Camera snapshots (`GET /api/cameras/{id}/snapshot`): from `snapshot_url` when set, else the
//! latest H.264 key frame from the camera's hub, decoded on demand on a blocking thread. Each
//! camera's last image is cached: a fresh copy (under 5 s, or the same key frame) is served
//! as is, concurrent requests share one fetch, and when the camera fails a stale copy is
//! served (marked) rather than an error. Decodes run one at a time box-wide, at most once
//! per key frame per camera: never on the recording path.

use crate::config::{CameraConfig, Encoding};
use crate::error::{ApiError, ErrorCode};
use crate::ingest::http::{self, FetchError};
use crate::media::MediaEvent;
use crate::media::hub::Hub;
use crate::sync::LockExt;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A cached image younger than this is served without asking the camera.
pub const FRESH_FOR: Duration = Duration::from_secs(5);
/// How long a snapshot waits for a key frame from a camera that was just connected.
const KEYFRAME_WAIT: Duration = Duration::from_secs(8);

/// Why the camera's connection delivers nothing, if it failed (ends the key-frame wait).
pub type SourceFailure = Box<dyn Fn() -> Option<String> + Send + Sync>;

#[derive(Clone)]
pub struct Snapshot {
    pub jpeg: Bytes,
    pub source: &'static str,
    /// Why the camera could not give a fresh image (a stale copy is served).
    pub stale: Option<String>,
}

#[derive(Clone)]
struct Cached {
    jpeg: Bytes,
    at: Instant,
    source: &'static str,
    /// For decoded images: which key frame (its receive time), to decode each only once.
    keyframe_ns: Option<i64>,
}

pub struct Snapshots {
    cache: Mutex<HashMap<String, Cached>>,
    /// One fetch per camera at a time (later requests reuse its result).
    inflight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// One decode box-wide at a time.
    decode: tokio::sync::Semaphore,
}

impl Default for Snapshots {
    fn default() -> Self {
        Self::new()
    }
}

impl Snapshots {
    pub fn new() -> Self {
        Self {
            cache: Mutex::default(),
            inflight: Mutex::default(),
            decode: tokio::sync::Semaphore::new(1),
        }
    }

    fn cached(&self, id: &str) -> Option<Cached> {
        self.cache.locked().get(id).cloned()
    }

    fn store(&self, id: &str, c: Cached) {
        self.cache.locked().insert(id.to_string(), c);
    }

    /// The camera's snapshot. `hub` gives the camera's media: its recording hub, or a live
    /// stream whose connection error, if any, ends the wait at once.
    pub async fn get(
        &self,
        cam: &CameraConfig,
        hub: impl AsyncFnOnce() -> Result<(Arc<Hub>, SourceFailure), ApiError>,
    ) -> Result<Snapshot, ApiError> {
        let lock = self
            .inflight
            .locked()
            .entry(cam.id.clone())
            .or_default()
            .clone();
        let _one = lock.lock().await;
        let cached = self.cached(&cam.id);
        if let Some(c) = &cached
            && c.at.elapsed() < FRESH_FOR
        {
            return Ok(Snapshot {
                jpeg: c.jpeg.clone(),
                source: c.source,
                stale: None,
            });
        }
        let result = if !cam.snapshot_url.is_empty() {
            self.fetch_url(cam).await
        } else {
            let (hub, failure) = hub().await?;
            self.decode_keyframe(cam, hub, failure, cached.as_ref())
                .await
        };
        match (result, cached) {
            (Ok(s), _) => Ok(s),
            (Err(e), Some(c)) if e.code != ErrorCode::NotImplemented => {
                tracing::warn!(camera = %cam.id, error = %e.message, "snapshot failed; serving the cached copy");
                Ok(Snapshot {
                    jpeg: c.jpeg,
                    source: c.source,
                    stale: Some(e.message),
                })
            }
            (Err(e), _) => Err(e),
        }
    }

    async fn fetch_url(&self, cam: &CameraConfig) -> Result<Snapshot, ApiError> {
        let jpeg = http::fetch_snapshot(cam).await.map_err(|e| {
            let code = match e {
                FetchError::Config(_) => ErrorCode::InvalidInput,
                _ => ErrorCode::CameraUnreachable,
            };
            ApiError::new(code, format!("snapshot of {}: {e}", cam.id))
        })?;
        self.store(
            &cam.id,
            Cached {
                jpeg: jpeg.clone(),
                at: Instant::now(),
                source: "snapshot_url",
                keyframe_ns: None,
            },
        );
        Ok(Snapshot {
            jpeg,
            source: "snapshot_url",
            stale: None,
        })
    }

    async fn decode_keyframe(
        &self,
        cam: &CameraConfig,
        hub: Arc<Hub>,
        failure: SourceFailure,
        cached: Option<&Cached>,
    ) -> Result<Snapshot, ApiError> {
        if cam.encoding == Encoding::H265 {
            return Err(h265_unsupported(&cam.id));
        }
        let deadline = Instant::now() + KEYFRAME_WAIT;
        let (params, key) = loop {
            let (params, gop, _rx) = hub.subscribe();
            let key = gop.into_iter().find_map(|ev| match ev {
                MediaEvent::Video(f) if f.is_key => Some(f),
                _ => None,
            });
            if let (Some(p), Some(k)) = (params, key) {
                break (p, k);
            }
            if let Some(why) = failure() {
                return Err(ApiError::new(
                    ErrorCode::CameraUnreachable,
                    format!("snapshot of {}: {why}", cam.id),
                ));
            }
            if Instant::now() >= deadline {
                return Err(ApiError::new(
                    ErrorCode::CameraUnreachable,
                    format!(
                        "snapshot of {}: no key frame from the camera within {}s",
                        cam.id,
                        KEYFRAME_WAIT.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        if params.format == "mjpeg" {
            // Every MJPEG frame is a JPEG already.
            return Ok(Snapshot {
                jpeg: key.data.clone(),
                source: "frame",
                stale: None,
            });
        }
        if params.format != "h264" {
            return Err(h265_unsupported(&cam.id));
        }
        // The same key frame as last time: its image is already cached.
        if let Some(c) = cached
            && c.keyframe_ns == Some(key.received_wall_ns)
        {
            return Ok(Snapshot {
                jpeg: c.jpeg.clone(),
                source: c.source,
                stale: None,
            });
        }
        let _permit = self.decode.acquire().await.expect("decode semaphore");
        let annexb = crate::media::jpeg::annex_b(&params.param_sets, &key.data)
            .map_err(|e| ApiError::internal(format!("snapshot of {}: {e}", cam.id)))?;
        let (jpeg, _, _) =
            tokio::task::spawn_blocking(move || crate::media::jpeg::h264_keyframe_to_jpeg(&annexb))
                .await
                .map_err(|e| ApiError::internal(format!("snapshot decode: {e}")))?
                .map_err(|e| ApiError::internal(format!("snapshot of {}: decode: {e}", cam.id)))?;
        let jpeg = Bytes::from(jpeg);
        self.store(
            &cam.id,
            Cached {
                jpeg: jpeg.clone(),
                at: Instant::now(),
                source: "keyframe",
                keyframe_ns: Some(key.received_wall_ns),
            },
        );
        Ok(Snapshot {
            jpeg,
            source: "keyframe",
            stale: None,
        })
    }
}

fn h265_unsupported(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotImplemented,
        format!("camera {id} sends H.265, which this box cannot decode: set its snapshot_url"),
    )
}
