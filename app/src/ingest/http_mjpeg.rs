//! One HTTP MJPEG session: a `multipart/x-mixed-replace` stream (each part a JPEG), or, when
//! the URL answers a single `image/jpeg`, that URL polled every `sample_interval` seconds.
//! Frames carry media time from the monotonic clock (HTTP has no media clock); the picture
//! size comes from each JPEG's header, and a new size starts new parameters.

use super::http::{self, FetchError, MAX_SNAPSHOT_BYTES};
use super::{SessionError, Status};
use crate::config::CameraConfig;
use crate::media::{MediaEvent, StreamParams, VideoFrame, mjpeg, now_wall_ns};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// No frame for this long: the camera stalled (a polled camera: its interval plus this).
const STALL_TIMEOUT: Duration = Duration::from_secs(10);

fn session_error(e: FetchError) -> SessionError {
    match e {
        FetchError::Auth(_) => SessionError::Auth,
        FetchError::Timeout => SessionError::Timeout("HTTP request".into()),
        FetchError::Config(m) => SessionError::Config(m),
        FetchError::NotJpeg | FetchError::TooLarge => SessionError::Media(e.to_string()),
        other => SessionError::Rtsp(other.to_string()),
    }
}

struct Emitter {
    started: Instant,
    params: Option<Arc<StreamParams>>,
}

impl Emitter {
    fn frame(
        &mut self,
        jpeg: Bytes,
        sink: &mut super::Sink,
        status: &Status,
    ) -> Result<(), SessionError> {
        if !http::is_jpeg(&jpeg) {
            return Err(SessionError::Media(
                "the camera sent a part that is not a JPEG".into(),
            ));
        }
        let (w, h) = mjpeg::size(&jpeg)
            .ok_or_else(|| SessionError::Media("a JPEG without a picture size".into()))?;
        if self.params.as_ref().and_then(|p| p.video.video_size) != Some((w, h)) {
            let p = Arc::new(
                mjpeg::params(w, h).map_err(|e| SessionError::Media(format!("MJPEG: {e}")))?,
            );
            let first = self.params.is_none();
            self.params = Some(p.clone());
            sink.emit(if first {
                MediaEvent::SessionStart(p)
            } else {
                MediaEvent::Params(p)
            });
        }
        let now = Instant::now();
        let wall = now_wall_ns();
        status.seen(wall);
        sink.emit(MediaEvent::Video(Arc::new(VideoFrame {
            pts_90k: (now - self.started).as_micros() as i64 * 9 / 100,
            is_key: true,
            data: jpeg,
            received: now,
            received_wall_ns: wall,
        })));
        Ok(())
    }
}

/// Runs until the stream ends, stalls or is stopped (`Ok` = stop requested).
pub async fn run_session(
    cam: &CameraConfig,
    sink: &mut super::Sink,
    status: &Status,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), SessionError> {
    let resp = tokio::time::timeout(super::rtsp::CONNECT_TIMEOUT, http::get(cam, &cam.url))
        .await
        .map_err(|_| SessionError::Timeout("HTTP request".into()))?
        .map_err(session_error)?;
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut em = Emitter {
        started: Instant::now(),
        params: None,
    };
    let result = if ctype.starts_with("multipart/") {
        // multer's own parser accepts multipart/form-data only.
        let boundary = ctype
            .parse::<mime::Mime>()
            .ok()
            .and_then(|m| m.get_param(mime::BOUNDARY).map(|b| b.to_string()))
            .ok_or_else(|| SessionError::Media(format!("multipart without a boundary: {ctype}")))?;
        let constraints = multer::Constraints::new()
            .size_limit(multer::SizeLimit::new().per_field(MAX_SNAPSHOT_BYTES as u64));
        let mut parts =
            multer::Multipart::with_constraints(resp.bytes_stream(), boundary, constraints);
        loop {
            let next = tokio::select! {
                _ = stop.changed() => break Ok(()),
                r = tokio::time::timeout(STALL_TIMEOUT, async {
                    match parts.next_field().await {
                        Ok(Some(field)) => field.bytes().await.map(Some),
                        Ok(None) => Ok(None),
                        Err(e) => Err(e),
                    }
                }) => r,
            };
            match next {
                Err(_) => {
                    break Err(SessionError::Timeout(format!(
                        "no frame for {}s",
                        STALL_TIMEOUT.as_secs()
                    )));
                }
                Ok(Ok(None)) => break Err(SessionError::Ended),
                Ok(Err(e)) => break Err(SessionError::Rtsp(format!("multipart: {e}"))),
                Ok(Ok(Some(jpeg))) => {
                    if let Err(e) = em.frame(jpeg, sink, status) {
                        break Err(e);
                    }
                }
            }
        }
    } else {
        // A single JPEG: the first one is in this response; then poll.
        sink.record_every = mjpeg::Decimator::new(1);
        let interval = Duration::from_secs(cam.sample_interval.max(1) as u64);
        let mut first = Some(resp);
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.changed() => break Ok(()),
                _ = tick.tick() => {}
            }
            let fetched = match first.take() {
                Some(resp) => http::read_jpeg(resp).await,
                None => {
                    tokio::time::timeout(interval + STALL_TIMEOUT, http::fetch_jpeg(cam, &cam.url))
                        .await
                        .unwrap_or(Err(FetchError::Timeout))
                }
            };
            match fetched {
                Ok(jpeg) => {
                    if let Err(e) = em.frame(jpeg, sink, status) {
                        break Err(e);
                    }
                }
                Err(e) => break Err(session_error(e)),
            }
        }
    };
    if em.params.is_some() {
        sink.emit(MediaEvent::SessionEnd);
    }
    result
}
