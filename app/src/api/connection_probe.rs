//! The connection test's probes: connect to a camera as the recorder would, wait for frames,
//! and fill in what was seen (codec, picture size, time to the first frame, frame count).
//! Nothing is recorded.

use super::camera_control::TestDetails;
use crate::config::CameraConfig;
use crate::ingest::{SessionError, Sink, Status, rtsp as rtsp_ingest};
use crate::media::MediaEvent;
use crate::media::hub::Hub;
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Frames a connection test waits for.
pub const TEST_FRAMES: u64 = 10;
/// A polled JPEG camera gives a frame per `sample_interval`: after the first frame, this long
/// is enough.
const HTTP_SETTLE: Duration = Duration::from_secs(3);

/// An RTSP camera: DESCRIBE, SETUP of the video stream, PLAY, then its frames.
pub async fn rtsp(
    cam: &CameraConfig,
    d: &mut TestDetails,
    started: Instant,
) -> Result<(), crate::ingest::SessionError> {
    use crate::ingest::SessionError;
    use retina::client::{PlayOptions, Session, SetupOptions};
    use retina::codec::{CodecItem, FrameFormat, ParametersRef};
    let url = url::Url::parse(&cam.url).map_err(|e| SessionError::Config(e.to_string()))?;
    let mut session = Session::describe(url, rtsp_ingest::session_options(cam))
        .await
        .map_err(SessionError::from_retina)?;
    let vi = session
        .streams()
        .iter()
        .position(|s| s.media() == "video")
        .ok_or_else(|| SessionError::Media("no video stream".into()))?;
    session
        .setup(
            vi,
            SetupOptions::default()
                .transport(rtsp_ingest::transport(cam))
                .frame_format(FrameFormat::MP4),
        )
        .await
        .map_err(SessionError::from_retina)?;
    let mut demuxed = session
        .play(PlayOptions::default())
        .await
        .map_err(SessionError::from_retina)?
        .demuxed()
        .map_err(SessionError::from_retina)?;
    while let Some(item) = demuxed.next().await {
        if let CodecItem::VideoFrame(_) = item.map_err(SessionError::from_retina)? {
            if d.frames_received == 0 {
                d.latency_ms = started.elapsed().as_millis() as u64;
                if let Some(ParametersRef::Video(vp)) = demuxed.streams()[vi].parameters() {
                    d.codec = Some(vp.rfc6381_codec().to_string());
                    let (w, h) = vp.pixel_dimensions();
                    (d.width, d.height) = (Some(w), Some(h));
                }
            }
            d.frames_received += 1;
            if d.frames_received >= TEST_FRAMES {
                return Ok(());
            }
        }
    }
    Err(SessionError::Ended)
}

/// An HTTP MJPEG camera (a multipart stream, or a JPEG URL polled), through the same session
/// code the recorder uses, with nothing recording.
pub async fn http(
    cam: &CameraConfig,
    d: &mut TestDetails,
    started: Instant,
) -> Result<(), SessionError> {
    let hub = Arc::new(Hub::new());
    let (_, _, mut rx) = hub.subscribe();
    let status = Status::default();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let mut sink = Sink::new(hub, None);
    let session = crate::ingest::http_mjpeg::run_session(cam, &mut sink, &status, &mut stop_rx);
    tokio::pin!(session);
    let mut settle: Option<tokio::time::Instant> = None;
    loop {
        let until =
            settle.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            r = &mut session => return r.and(Err(SessionError::Ended)),
            _ = tokio::time::sleep_until(until) => return Ok(()),
            ev = rx.recv() => match ev {
                Ok(MediaEvent::SessionStart(p)) | Ok(MediaEvent::Params(p)) => {
                    d.codec = Some(p.video_codec.clone());
                    if let Some((w, h)) = p.video.video_size {
                        (d.width, d.height) = (Some(w), Some(h));
                    }
                }
                Ok(MediaEvent::Video(_)) => {
                    if d.frames_received == 0 {
                        d.latency_ms = started.elapsed().as_millis() as u64;
                        settle = Some(tokio::time::Instant::now() + HTTP_SETTLE);
                    }
                    d.frames_received += 1;
                    if d.frames_received >= TEST_FRAMES {
                        let _ = stop_tx.send(true);
                        return Ok(());
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Err(SessionError::Ended),
            },
        }
    }
}
