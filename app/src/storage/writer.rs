//! The disk writer: one thread per storage root runs every camera's recorder, fed by the
//! cameras' GOP assemblers through one queue. Ingest and live view never wait for the disk:
//! a card that pauses for seconds (garbage collection, wear levelling) stalls only this
//! thread, while each camera's share of the queue absorbs its video up to
//! `QUEUE_BUDGET_BYTES`; beyond that whole GOPs are dropped and counted (see `storage::gop`).

use super::gop::Gop;
use super::recorder::{Recorder, RecorderCtx};
use crate::media::StreamParams;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Video and audio bytes one camera may have waiting for the disk: ~30 s at 4 Mbit/s, so a
/// card that stalls for seconds loses nothing. Only used while the card is slow.
pub const QUEUE_BUDGET_BYTES: usize = 16 << 20;

/// What a camera's assembler asks of its recorder, in order.
#[derive(Debug)]
pub enum Job {
    /// A session began with these parameters (media times restart).
    Start(Arc<StreamParams>),
    /// The parameters changed mid-session: the next key frame starts a new run and file.
    Params(Arc<StreamParams>),
    Gop(Gop),
    /// Media before this was lost (dropped GOPs, an outage): end the run here.
    Break,
    /// The session ended.
    End,
    /// The pipeline stopped: end the run and forget the recorder.
    Finish,
}

/// A monotonically increasing count (metrics, tests).
#[derive(Debug, Default)]
pub struct Count(AtomicU64);

impl Count {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What one camera's recording lost to a slow disk or a broken stream.
#[derive(Debug, Default)]
pub struct QueueStats {
    /// Video frames dropped because the camera's queue was full.
    pub frames_dropped: Count,
    pub gops_dropped: Count,
    /// Audio frames dropped while video stalled (the ring was full).
    pub audio_frames_dropped: Count,
    /// Video frames the recorder could not place (after a break, until the next key frame).
    pub frames_skipped: Count,
}

/// One pipeline's end of the queue (a restarted pipeline gets a new one).
pub struct CameraShared {
    seq: u64,
    camera_id: String,
    queued_bytes: AtomicUsize,
    budget_bytes: usize,
    pub stats: QueueStats,
}

impl CameraShared {
    pub fn camera_id(&self) -> &str {
        &self.camera_id
    }

    /// Bytes waiting for the disk.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Relaxed)
    }
}

enum Msg {
    Job(Arc<CameraShared>, Job),
    Barrier(tokio::sync::oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct CameraQueue {
    shared: Arc<CameraShared>,
    tx: std::sync::mpsc::Sender<Msg>,
}

impl CameraQueue {
    pub fn camera_id(&self) -> &str {
        &self.shared.camera_id
    }

    pub fn stats(&self) -> &QueueStats {
        &self.shared.stats
    }

    pub fn shared(&self) -> Arc<CameraShared> {
        self.shared.clone()
    }

    /// Reserves room for `bytes` in this camera's share; false when it is full. An empty
    /// queue always takes one GOP, however large.
    pub fn try_reserve(&self, bytes: usize) -> bool {
        let q = &self.shared.queued_bytes;
        let mut cur = q.load(Ordering::Relaxed);
        loop {
            if cur > 0 && cur + bytes > self.shared.budget_bytes {
                return false;
            }
            match q.compare_exchange_weak(cur, cur + bytes, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => cur = now,
            }
        }
    }

    /// Queues a job (a GOP must have been reserved with `try_reserve`).
    pub fn send(&self, job: Job) {
        if self.tx.send(Msg::Job(self.shared.clone(), job)).is_err() {
            tracing::error!(camera = %self.shared.camera_id, "disk writer is gone; media dropped");
        }
    }
}

/// The writer of one storage root.
pub struct Writer {
    tx: std::sync::mpsc::Sender<Msg>,
    next_seq: AtomicU64,
}

impl Writer {
    /// Starts the writer thread; it ends, after ending every run, when the writer and every
    /// camera queue are dropped.
    pub fn spawn(ctx: RecorderCtx) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        std::thread::Builder::new()
            .name("disk-writer".into())
            .spawn(move || run(ctx, rx))
            .expect("spawn the disk writer thread");
        Self {
            tx,
            next_seq: AtomicU64::new(1),
        }
    }

    /// A queue for one pipeline of `camera_id`.
    pub fn camera(&self, camera_id: &str) -> CameraQueue {
        CameraQueue {
            shared: Arc::new(CameraShared {
                seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
                camera_id: camera_id.to_string(),
                queued_bytes: AtomicUsize::new(0),
                budget_bytes: QUEUE_BUDGET_BYTES,
                stats: QueueStats::default(),
            }),
            tx: self.tx.clone(),
        }
    }

    /// Waits until everything queued so far has been handled.
    pub async fn barrier(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.tx.send(Msg::Barrier(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn run(ctx: RecorderCtx, rx: std::sync::mpsc::Receiver<Msg>) {
    let mut recorders: HashMap<u64, Recorder> = HashMap::new();
    while let Ok(msg) = rx.recv() {
        let (cam, job) = match msg {
            Msg::Barrier(done) => {
                let _ = done.send(());
                continue;
            }
            Msg::Job(cam, job) => (cam, job),
        };
        let bytes = match &job {
            Job::Gop(g) => g.bytes,
            _ => 0,
        };
        let finish = matches!(job, Job::Finish);
        let rec = recorders
            .entry(cam.seq)
            .or_insert_with(|| Recorder::new(cam.clone(), ctx.clone()));
        // A bug in one camera's recorder must not stop the others: its run is abandoned
        // (crash recovery indexes its file at the next start) and it starts afresh with the
        // stream's parameters, so the camera's next key frame records again.
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rec.handle(job)));
        if ok.is_err() {
            tracing::error!(camera = %cam.camera_id, "the recorder panicked; its run was abandoned");
            let params = rec.params();
            let mut fresh = Recorder::new(cam.clone(), ctx.clone());
            if let Some(p) = params {
                fresh.handle(Job::Params(p));
            }
            *rec = fresh;
        }
        if finish {
            recorders.remove(&cam.seq);
        }
        cam.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
    }
    for (_, mut r) in recorders {
        r.handle(Job::Finish);
    }
}

/// Tests: a camera queue whose jobs the test reads instead of a writer thread.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub struct Jobs {
        rx: std::sync::mpsc::Receiver<Msg>,
    }

    impl Jobs {
        /// Everything queued so far; GOPs are marked written (their bytes leave the queue).
        pub fn take(&self) -> Vec<Job> {
            let mut out = Vec::new();
            while let Ok(Msg::Job(cam, job)) = self.rx.try_recv() {
                if let Job::Gop(g) = &job {
                    cam.queued_bytes.fetch_sub(g.bytes, Ordering::AcqRel);
                }
                out.push(job);
            }
            out
        }
    }

    pub fn queue(camera_id: &str, budget_bytes: usize) -> (CameraQueue, Jobs) {
        let (tx, rx) = std::sync::mpsc::channel();
        let q = CameraQueue {
            shared: Arc::new(CameraShared {
                seq: 1,
                camera_id: camera_id.to_string(),
                queued_bytes: AtomicUsize::new(0),
                budget_bytes,
                stats: QueueStats::default(),
            }),
            tx,
        };
        (q, Jobs { rx })
    }
}
