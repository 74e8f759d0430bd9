//! The camera pipelines: for every running camera an ingest task (connection → hub) and a
//! recorder task (hub → storage). Keeps them in step with the config (enabled cameras run,
//! changed ones restart, removed or disabled ones stop) and with start/stop requests.

use super::{Status, StatusKind, StatusSnapshot, supervise};
use crate::config::{CameraConfig, Config, Protocol};
use crate::media::hub::Hub;
use crate::storage::recorder::{Recorder, RecorderCtx};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct Pipeline {
    cfg: CameraConfig,
    stop: watch::Sender<bool>,
    status: Arc<Status>,
    hub: Arc<Hub>,
    tasks: Vec<JoinHandle<()>>,
}

pub struct Pipelines {
    ctx: RecorderCtx,
    running: Mutex<HashMap<String, Pipeline>>,
    /// Cameras stopped through the API (until started again or the daemon restarts).
    stopped: Mutex<HashSet<String>>,
}

/// Whether this daemon can record the camera: RTSP (H.264, H.265, MJPEG), or HTTP MJPEG
/// (multipart streams and polled JPEGs).
pub fn recordable(cam: &CameraConfig) -> bool {
    let url = cam.url.to_ascii_lowercase();
    match cam.protocol {
        Protocol::Rtsp | Protocol::Xiaomi => url.starts_with("rtsp"),
        Protocol::Onvif => url.starts_with("rtsp") || url.starts_with("http"),
        Protocol::Http => url.starts_with("http"),
    }
}

impl Pipelines {
    pub fn new(ctx: RecorderCtx) -> Self {
        Self {
            ctx,
            running: Mutex::new(HashMap::new()),
            stopped: Mutex::new(HashSet::new()),
        }
    }

    fn spawn(&self, cam: &CameraConfig) -> Pipeline {
        let hub = Arc::new(Hub::new());
        let status = Arc::new(Status::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let recorder = Recorder::new(cam.id.clone(), self.ctx.clone());
        let sink = super::Sink::new(hub.clone(), Some(recorder));
        let ingest = tokio::spawn(supervise(cam.clone(), sink, status.clone(), stop_rx));
        tracing::info!(camera = %cam.id, "pipeline started");
        Pipeline {
            cfg: cam.clone(),
            stop: stop_tx,
            status,
            hub,
            tasks: vec![ingest],
        }
    }

    /// Brings the running set in line with the config.
    pub fn sync(&self, cfg: &Config) {
        let stopped = self.stopped.lock().expect("stopped lock").clone();
        let mut running = self.running.lock().expect("pipelines lock");
        let wanted: HashMap<&str, &CameraConfig> = cfg
            .cameras
            .iter()
            .filter(|c| c.enabled && recordable(c) && !stopped.contains(&c.id))
            .map(|c| (c.id.as_str(), c))
            .collect();
        let ids: Vec<String> = running.keys().cloned().collect();
        for id in ids {
            let keep = wanted
                .get(id.as_str())
                .is_some_and(|c| **c == running[&id].cfg);
            if !keep && let Some(p) = running.remove(&id) {
                stop_pipeline(p);
            }
        }
        for (id, cam) in wanted {
            if !running.contains_key(id) {
                let p = self.spawn(cam);
                running.insert(id.to_string(), p);
            }
        }
    }

    pub fn is_running(&self, id: &str) -> bool {
        self.running
            .lock()
            .expect("pipelines lock")
            .contains_key(id)
    }

    /// Clears a manual stop and starts the camera.
    pub fn start(&self, cfg: &Config, id: &str) {
        self.stopped.lock().expect("stopped lock").remove(id);
        self.sync(cfg);
    }

    pub fn stop(&self, id: &str) {
        self.stopped
            .lock()
            .expect("stopped lock")
            .insert(id.to_string());
        if let Some(p) = self.running.lock().expect("pipelines lock").remove(id) {
            stop_pipeline(p);
        }
    }

    pub fn status(&self, id: &str) -> Option<StatusSnapshot> {
        self.running
            .lock()
            .expect("pipelines lock")
            .get(id)
            .map(|p| p.status.snapshot())
    }

    /// (camera id, status) of every running pipeline.
    pub fn statuses(&self) -> Vec<(String, StatusSnapshot)> {
        let running = self.running.lock().expect("pipelines lock");
        running
            .iter()
            .map(|(id, p)| (id.clone(), p.status.snapshot()))
            .collect()
    }

    /// The running camera's hub and connection status.
    pub fn source(&self, id: &str) -> Option<(Arc<Hub>, Arc<super::Status>)> {
        self.running
            .lock()
            .expect("pipelines lock")
            .get(id)
            .map(|p| (p.hub.clone(), p.status.clone()))
    }

    /// Stops every pipeline and waits (bounded) for recorders to write what they hold.
    pub async fn shutdown(&self) {
        let all: Vec<Pipeline> = self
            .running
            .lock()
            .expect("pipelines lock")
            .drain()
            .map(|(_, p)| p)
            .collect();
        let mut tasks = Vec::new();
        for p in all {
            let _ = p.stop.send(true);
            tasks.extend(p.tasks);
        }
        let _ =
            tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(tasks)).await;
    }
}

fn stop_pipeline(p: Pipeline) {
    let _ = p.stop.send(true);
    p.status.set(StatusKind::Stopped, "");
    tracing::info!(camera = %p.cfg.id, "pipeline stopping");
    // The task ends by itself: it sees the stop, and its recorder writes what it holds.
}
