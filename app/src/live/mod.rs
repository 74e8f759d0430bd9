//! Live view: per camera one live stream (the HLS window and its segmenter) fed from the
//! camera's hub: the recording pipeline's when the camera records, else a live-only
//! connection opened on demand (the sub-stream when `sub_stream_url` is set). Streams that
//! nobody fetched from for `live.idle_timeout` end, and a live-only connection with them.
//! At most `live.max_streams` cameras stream at once.

pub mod fps;
pub mod playlist;
pub mod segment;
pub mod segmenter;
pub mod snapshot;
pub mod transcode;
pub mod ts;
pub mod ws;

use crate::config::{CameraConfig, Encoding};
use crate::error::{ApiError, ErrorCode};
use crate::ingest::{Sink, Status};
use crate::media::hub::Hub;
use crate::sync::LockExt;
use segment::{Container, Window};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The window and its change signal, shared by the segmenter and the HTTP handlers.
pub struct LiveShared {
    pub camera_id: String,
    window: Mutex<Window>,
    version: watch::Sender<u64>,
    last_access: Mutex<Instant>,
}

impl LiveShared {
    fn new(camera_id: &str, container: Container) -> Self {
        Self {
            camera_id: camera_id.to_string(),
            window: Mutex::new(Window::new(container)),
            version: watch::channel(0).0,
            last_access: Mutex::new(Instant::now()),
        }
    }

    pub fn update(&self, f: impl FnOnce(&mut Window)) {
        f(&mut self.window.locked());
        self.version.send_modify(|v| *v += 1);
    }

    pub fn read<R>(&self, f: impl FnOnce(&Window) -> R) -> R {
        f(&self.window.locked())
    }

    fn end(&self, reason: &str) {
        self.update(|w| w.ended = Some(reason.to_string()));
    }

    pub fn touch(&self) {
        *self.last_access.locked() = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_access.locked().elapsed()
    }

    /// Waits until `ready` holds for the window (true) or `timeout` passes (false).
    pub async fn wait_for(&self, timeout: Duration, ready: impl Fn(&Window) -> bool) -> bool {
        let mut rx = self.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.read(&ready) {
                return true;
            }
            if self.read(|w| w.ended.is_some()) {
                return false;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return self.read(&ready),
            }
        }
    }
}

/// One camera's live stream.
pub struct LiveStream {
    pub shared: Arc<LiveShared>,
    pub hub: Arc<Hub>,
    cfg: CameraConfig,
    /// The source connection's status (the recording pipeline's or our own).
    status: Arc<Status>,
    /// The live-only connection's stop switch, when the stream opened one.
    own_ingest: Option<watch::Sender<bool>>,
    /// The HLS segmenter (and, for MJPEG, the transcoder feeding it) once HLS is wanted.
    hls: Mutex<Option<HlsRun>>,
}

struct HlsRun {
    segmenter: tokio::task::JoinHandle<()>,
    _transcoder: Option<transcode::Transcoder>,
}

impl LiveStream {
    /// Whether the stream still reads from the camera's current source: a stream fed by a
    /// recording pipeline that has since stopped or been replaced (stop/start, the camera
    /// deleted and added again) would wait forever for media that never comes.
    fn fed_by_current(&self, recording: Option<&(Arc<Hub>, Arc<Status>)>) -> bool {
        match (&self.own_ingest, recording) {
            (Some(_), _) => true, // its own connection
            (None, Some((hub, _))) => Arc::ptr_eq(&self.hub, hub),
            (None, None) => false,
        }
    }

    pub fn ended(&self) -> bool {
        self.shared.read(|w| w.ended.is_some())
    }

    /// Why no media arrives, when the source connection reports an error.
    pub fn source_error(&self) -> Option<String> {
        self.status.failure()
    }

    pub fn owns_connection(&self) -> bool {
        self.own_ingest.is_some()
    }

    /// Starts the HLS segmenter if it is not running: from the camera's hub, or for an
    /// MJPEG camera from a live H.264 transcode of it.
    pub fn ensure_hls(&self) {
        let mut hls = self.hls.locked();
        if hls.is_some() {
            return;
        }
        let (source, transcoder, max_fps) = if self.cfg.encoding == Encoding::Mjpeg {
            let t = transcode::start(&self.hub, &self.cfg.id, self.cfg.hls_max_fps);
            (t.out.clone(), Some(t), 0)
        } else {
            (self.hub.clone(), None, self.cfg.hls_max_fps)
        };
        let (params, gop, rx) = source.subscribe();
        let segmenter = tokio::spawn(segmenter::run(
            self.shared.clone(),
            params,
            gop,
            rx,
            max_fps,
        ));
        *hls = Some(HlsRun {
            segmenter,
            _transcoder: transcoder,
        });
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        if let Some(stop) = &self.own_ingest {
            let _ = stop.send(true);
        }
        if let Some(run) = self.hls.locked().take() {
            run.segmenter.abort();
        }
    }
}

#[derive(Default)]
pub struct Live {
    streams: Mutex<HashMap<String, Arc<LiveStream>>>,
}

impl Live {
    /// The camera's live stream, started when needed.
    pub fn open(
        &self,
        cam: &CameraConfig,
        recording: Option<(Arc<Hub>, Arc<Status>)>,
        max_streams: u32,
    ) -> Result<Arc<LiveStream>, ApiError> {
        if !cam.enabled {
            return Err(ApiError::new(
                ErrorCode::CameraDisabled,
                format!("camera {} is disabled", cam.id),
            ));
        }
        let mut streams = self.streams.locked();
        if let Some(s) = streams.get(&cam.id) {
            if !s.ended() && s.cfg == *cam && s.fed_by_current(recording.as_ref()) {
                s.shared.touch();
                return Ok(s.clone());
            }
            streams.remove(&cam.id);
        }
        if streams.len() >= max_streams as usize {
            return Err(ApiError::new(
                ErrorCode::HlsMaxStreams,
                format!(
                    "{} live streams are open, the limit is {max_streams}",
                    streams.len()
                ),
            ));
        }
        let url = if cam.sub_stream_url.is_empty() {
            cam.url.as_str()
        } else {
            cam.sub_stream_url.as_str()
        };
        // An ONVIF device address (main stream only): the ingest asks the device for its
        // RTSP URI.
        use crate::config::Source;
        let source = if cam.sub_stream_url.is_empty() {
            cam.source()
        } else {
            Source::of(url, false)
        };
        let viewable = match source {
            Source::Rtsp | Source::OnvifDevice => true,
            Source::HttpMjpeg => cam.encoding == Encoding::Mjpeg,
            Source::Unsupported => false,
        };
        if !viewable {
            return Err(ApiError::new(
                ErrorCode::HlsUnsupportedCodec,
                "live view needs an RTSP camera, or an MJPEG one".to_string(),
            ));
        }
        let (hub, status, own_ingest) = match recording.filter(|_| cam.sub_stream_url.is_empty()) {
            Some((hub, status)) => (hub, status, None),
            None => {
                let hub = Arc::new(Hub::new());
                let status = Arc::new(Status::default());
                let (stop_tx, stop_rx) = watch::channel(false);
                let mut live_cam = cam.clone();
                live_cam.url = url.to_string();
                let sink = Sink::new(hub.clone(), None);
                tokio::spawn(crate::ingest::supervise(
                    live_cam,
                    sink,
                    status.clone(),
                    stop_rx,
                ));
                tracing::info!(camera = %cam.id, "live-only connection opened");
                (hub, status, Some(stop_tx))
            }
        };
        let shared = Arc::new(LiveShared::new(
            &cam.id,
            Container::for_encoding(cam.encoding),
        ));
        let stream = Arc::new(LiveStream {
            shared,
            hub,
            cfg: cam.clone(),
            status,
            own_ingest,
            hls: Mutex::new(None),
        });
        // H.264/H.265 are segmented at once (cheap, and the first segment is then ready);
        // MJPEG only when its HLS is asked for (a transcode costs CPU).
        if cam.encoding != Encoding::Mjpeg {
            stream.ensure_hls();
        }
        streams.insert(cam.id.clone(), stream.clone());
        tracing::info!(camera = %cam.id, "live stream started");
        Ok(stream)
    }

    /// Ends streams idle for `idle`, ended ones and those whose camera is gone or changed.
    pub fn reap(&self, idle: Duration, cameras: &[CameraConfig]) -> usize {
        let mut streams = self.streams.locked();
        let before = streams.len();
        streams.retain(|id, s| {
            let current = cameras.iter().any(|c| c.id == *id && *c == s.cfg);
            let keep = current && !s.ended() && s.shared.idle_for() < idle;
            if !keep {
                tracing::info!(camera = %id, "live stream ended");
            }
            keep
        });
        before - streams.len()
    }

    /// Ends the camera's live stream now; whether there was one.
    pub fn close(&self, id: &str) -> bool {
        self.streams.locked().remove(id).is_some()
    }

    pub fn active(&self) -> usize {
        self.streams.locked().len()
    }

    pub fn close_all(&self) {
        self.streams.locked().clear();
    }
}

/// Ends idle live streams once a second.
pub fn spawn_reaper(live: Arc<Live>, config: Arc<crate::config::ConfigStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let cfg = config.get();
            live.reap(cfg.live.idle_timeout.as_duration(), &cfg.cameras);
        }
    });
}
