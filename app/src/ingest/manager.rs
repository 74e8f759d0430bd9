//! The camera pipelines: one per camera that is enabled, `recordable` and not stopped through
//! the API. A pipeline is a single ingest task (`supervise`): the camera's session hands each
//! media event inline to the GOP assembler (`storage::gop`), which queues finished GOPs on the
//! camera's share of the disk writer's queue, and then publishes it to the camera's hub (live
//! view, snapshots). There is no recorder task: the camera's recorder runs on the disk
//! writer's thread (`storage::writer`, `storage::recorder`). Keeps the pipelines in step with
//! the config (enabled cameras run, changed ones restart, removed or disabled ones stop) and
//! with start/stop requests, and restarts wedged ones (`WEDGED_AFTER`, `watch_wedged`).

use super::{Status, StatusKind, StatusSnapshot, supervise};
use crate::config::{CameraConfig, Config};
use crate::media::hub::Hub;
use crate::storage::gop::GopAssembler;
use crate::storage::writer::{CameraShared, Writer};
use crate::sync::LockExt;
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
    /// Its share of the disk writer's queue (what it lost to a slow disk).
    queue: Arc<CameraShared>,
    tasks: Vec<JoinHandle<()>>,
}

/// A pipeline that says `recording` but has had no video for this long is wedged (a
/// session's own stall detection ends a silent session after 10 s): it is restarted.
pub const WEDGED_AFTER: Duration = Duration::from_secs(60);
const WEDGE_CHECK_EVERY: Duration = Duration::from_secs(5);

pub struct Pipelines {
    writer: Arc<Writer>,
    /// Wedged pipelines restarted since start.
    pub restarts: std::sync::atomic::AtomicU64,
    running: Mutex<HashMap<String, Pipeline>>,
    /// Cameras stopped through the API (until started again or the daemon restarts).
    stopped: Mutex<HashSet<String>>,
}

impl Pipelines {
    pub fn new(writer: Arc<Writer>) -> Self {
        Self {
            writer,
            restarts: Default::default(),
            running: Mutex::new(HashMap::new()),
            stopped: Mutex::new(HashSet::new()),
        }
    }

    fn spawn(&self, cam: &CameraConfig) -> Pipeline {
        let hub = Arc::new(Hub::new());
        let status = Arc::new(Status::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let queue = self.writer.camera(&cam.id);
        let shared = queue.shared();
        let sink = super::Sink::new(hub.clone(), Some(GopAssembler::new(queue)));
        let ingest = tokio::spawn(supervise(cam.clone(), sink, status.clone(), stop_rx));
        tracing::info!(camera = %cam.id, "pipeline started");
        Pipeline {
            cfg: cam.clone(),
            stop: stop_tx,
            status,
            hub,
            queue: shared,
            tasks: vec![ingest],
        }
    }

    /// Brings the running set in line with the config.
    pub fn sync(&self, cfg: &Config) {
        let stopped = self.stopped.locked().clone();
        let mut running = self.running.locked();
        let wanted: HashMap<&str, &CameraConfig> = cfg
            .cameras
            .iter()
            .filter(|c| c.enabled && c.recordable() && !stopped.contains(&c.id))
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
        self.running.locked().contains_key(id)
    }

    /// Clears a manual stop and starts the camera.
    pub fn start(&self, cfg: &Config, id: &str) {
        self.stopped.locked().remove(id);
        self.sync(cfg);
    }

    pub fn stop(&self, id: &str) {
        self.stopped.locked().insert(id.to_string());
        if let Some(p) = self.running.locked().remove(id) {
            stop_pipeline(p);
        }
    }

    pub fn status(&self, id: &str) -> Option<StatusSnapshot> {
        self.running.locked().get(id).map(|p| p.status.snapshot())
    }

    /// (camera id, status) of every running pipeline.
    pub fn statuses(&self) -> Vec<(String, StatusSnapshot)> {
        let running = self.running.locked();
        running
            .iter()
            .map(|(id, p)| (id.clone(), p.status.snapshot()))
            .collect()
    }

    /// The running camera's hub and connection status.
    pub fn source(&self, id: &str) -> Option<(Arc<Hub>, Arc<super::Status>)> {
        self.running
            .locked()
            .get(id)
            .map(|p| (p.hub.clone(), p.status.clone()))
    }

    /// Stops every pipeline, waits (bounded) for the ingest tasks to queue what their GOP
    /// assemblers hold, then (bounded) for the disk writer to write everything queued.
    pub async fn shutdown(&self) {
        let all: Vec<Pipeline> = self.running.locked().drain().map(|(_, p)| p).collect();
        let mut tasks = Vec::new();
        for p in all {
            let _ = p.stop.send(true);
            tasks.extend(p.tasks);
        }
        let _ =
            tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(tasks)).await;
        // What the cameras queued reaches the disk.
        if tokio::time::timeout(Duration::from_secs(20), self.writer.barrier())
            .await
            .is_err()
        {
            tracing::error!("the disk writer did not drain in 20 s");
        }
    }

    /// Per running camera: what its recording lost to a slow disk or a broken stream.
    pub fn queue_stats(&self) -> Vec<(String, Arc<CameraShared>)> {
        let running = self.running.locked();
        running
            .iter()
            .map(|(id, p)| (id.clone(), p.queue.clone()))
            .collect()
    }
}

impl Pipelines {
    /// Restarts the pipelines that are wedged (see `WEDGED_AFTER`); returns their ids.
    pub fn restart_wedged(&self, cfg: &Config) -> Vec<String> {
        let wedged: Vec<Pipeline> = {
            let mut running = self.running.locked();
            let ids: Vec<String> = running
                .iter()
                .filter(|(_, p)| is_wedged(&p.status.snapshot()))
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| running.remove(id)).collect()
        };
        let ids: Vec<String> = wedged.iter().map(|p| p.cfg.id.clone()).collect();
        for p in wedged {
            tracing::error!(camera = %p.cfg.id, "pipeline wedged (recording, but no video for 60 s): restarting it");
            for t in &p.tasks {
                t.abort();
            }
            stop_pipeline(p);
            self.restarts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if !ids.is_empty() {
            self.sync(cfg);
        }
        ids
    }
}

/// Recording, yet no video for `WEDGED_AFTER` (monotonic).
fn is_wedged(s: &StatusSnapshot) -> bool {
    s.kind == StatusKind::Recording && s.last_seen.is_some_and(|t| t.elapsed() > WEDGED_AFTER)
}

/// Restarts wedged pipelines, every few seconds, for the daemon's life.
pub async fn watch_wedged(pipelines: Arc<Pipelines>, config: Arc<crate::config::ConfigStore>) {
    loop {
        tokio::time::sleep(WEDGE_CHECK_EVERY).await;
        pipelines.restart_wedged(&config.get());
    }
}

fn stop_pipeline(p: Pipeline) {
    let _ = p.stop.send(true);
    p.status.set(StatusKind::Stopped, "");
    tracing::info!(camera = %p.cfg.id, "pipeline stopping");
    // The task ends by itself: it sees the stop, its GOP assembler queues what it holds and
    // ends the recorder's run (`Job::Finish`), and the disk writer writes it.
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn status(kind: StatusKind, seen_secs_ago: Option<u64>) -> StatusSnapshot {
        StatusSnapshot {
            kind,
            reason: String::new(),
            last_seen_ns: None,
            last_seen: seen_secs_ago
                .and_then(|s| Instant::now().checked_sub(Duration::from_secs(s))),
            recording_since_ns: None,
            connect_attempts: 1,
        }
    }

    #[test]
    fn only_a_recording_pipeline_without_video_for_a_minute_is_wedged() {
        assert!(is_wedged(&status(StatusKind::Recording, Some(61))));
        assert!(!is_wedged(&status(StatusKind::Recording, Some(5))));
        assert!(!is_wedged(&status(StatusKind::Recording, None)));
        // A camera that is reconnecting or in error is doing its job, not wedged.
        assert!(!is_wedged(&status(StatusKind::Reconnecting, Some(600))));
        assert!(!is_wedged(&status(StatusKind::Error, Some(600))));
    }
}
