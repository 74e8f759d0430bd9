//! The shared application state handed to every handler: configuration, database, the
//! camera pipelines (with the disk writer thread started here), live streams and snapshots,
//! connected ONVIF devices, the index writer, write counters and the reclaimer, storage
//! lifecycle, restore and firmware-update state, auth bookkeeping, the Xiaomi session,
//! metrics, the clock, the storage root and start time. Also the bytes-written figures
//! behind write amplification and the card-wear estimate.

use crate::auth::AuthState;
use crate::config::ConfigStore;
use crate::db::Db;
use crate::metrics::Metrics;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Arc<ConfigStore>,
    pub db: Arc<Db>,
    pub pipelines: Arc<crate::ingest::manager::Pipelines>,
    pub live: Arc<crate::live::Live>,
    pub snapshots: crate::live::snapshot::Snapshots,
    /// Connected ONVIF devices by camera.
    pub onvif: crate::onvif::Devices,
    pub transcoding: tokio::sync::OnceCell<crate::transcode::check::TranscodingCheck>,
    pub index: crate::storage::index::IndexSender,
    pub counters: Arc<crate::storage::file::WriteCounters>,
    /// Every deletion and the free-space floor (storage/retention.rs).
    pub reclaimer: Arc<crate::storage::retention::Reclaimer>,
    /// The cleanup, merge and sampling tasks' context and status (storage/lifecycle.rs).
    pub lifecycle: crate::storage::lifecycle::Lifecycle,
    /// One restore at a time.
    pub restore_lock: tokio::sync::Mutex<()>,
    /// The last or current firmware update.
    pub update: std::sync::Mutex<crate::update::UpdateStatus>,
    pub auth: AuthState,
    /// The Xiaomi cloud session and sign-ins in progress.
    pub xiaomi: crate::xiaomi::service::XiaomiState,
    pub metrics: Arc<Metrics>,
    /// The wall clock and whether it is trusted (clock.rs).
    pub clock: Arc<crate::clock::Clock>,
    pub started: Instant,
    /// The recordings root in effect since start (a changed `storage.root_dir` waits for a restart).
    pub storage_root: std::path::PathBuf,
    /// `server.listen` as it was at start (a changed one waits for a restart).
    listen_at_start: String,
    shutting_down: AtomicBool,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        config: Arc<ConfigStore>,
        db: Arc<Db>,
        storage_root: std::path::PathBuf,
        index: crate::storage::index::IndexSender,
        clock: Arc<crate::clock::Clock>,
    ) -> Self {
        let listen_at_start = config.get().server.listen.clone();
        let counters = Arc::new(crate::storage::file::WriteCounters::default());
        let reclaimer = Arc::new(crate::storage::retention::Reclaimer::new(
            db.clone(),
            storage_root.clone(),
        ));
        let ctx = crate::storage::recorder::RecorderCtx {
            reclaimer: reclaimer.clone(),
            root: storage_root.clone(),
            db: db.clone(),
            config: config.clone(),
            index: index.clone(),
            counters: counters.clone(),
            clock: clock.clone(),
        };
        Self(Arc::new(Inner {
            lifecycle: crate::storage::lifecycle::Lifecycle::new(
                config.clone(),
                db.clone(),
                reclaimer.clone(),
            ),
            config,
            db,
            pipelines: Arc::new(crate::ingest::manager::Pipelines::new(Arc::new(
                crate::storage::writer::Writer::spawn(ctx),
            ))),
            live: Default::default(),
            snapshots: crate::live::snapshot::Snapshots::new(),
            onvif: Default::default(),
            transcoding: tokio::sync::OnceCell::new(),
            index,
            counters,
            reclaimer,
            restore_lock: tokio::sync::Mutex::new(()),
            update: Default::default(),
            auth: AuthState::default(),
            xiaomi: Default::default(),
            metrics: Arc::new(Metrics::new()),
            clock,
            started: Instant::now(),
            listen_at_start,
            storage_root,
            shutting_down: AtomicBool::new(false),
        }))
    }

    /// Whether `cfg` differs from what this process runs with in a setting that applies only
    /// at start (`server.listen`, `storage.root_dir`): a value set back to what is running
    /// needs no restart, and a change still waiting for one keeps saying so.
    pub fn restart_required(&self, cfg: &crate::config::Config) -> bool {
        cfg.server.listen != self.listen_at_start
            || cfg.storage_root(self.config.data_dir()) != self.storage_root
    }

    pub fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// The recordings root in effect.
    pub fn storage_root(&self) -> std::path::PathBuf {
        self.storage_root.clone()
    }

    /// Bytes this process wrote, by kind: `config`, `video`, `process_total` and
    /// `index_and_other` (see `derived_write_kinds`).
    pub fn bytes_written(&self) -> Vec<(&'static str, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        [
            ("config", self.config.bytes_written()),
            ("video", self.counters.video_bytes.load(Relaxed)),
        ]
        .into_iter()
        .chain(self.derived_write_kinds())
        .collect()
    }

    /// `process_total`: everything this process wrote to storage (/proc/self/io);
    /// `index_and_other`: that minus video and config (the redb index, mostly).
    fn derived_write_kinds(&self) -> [(&'static str, u64); 2] {
        use std::sync::atomic::Ordering::Relaxed;
        let total = crate::sysinfo::process_write_bytes();
        let known = self.counters.video_bytes.load(Relaxed) + self.config.bytes_written();
        [
            ("process_total", total),
            ("index_and_other", total.saturating_sub(known)),
        ]
    }

    /// Video bytes received from cameras (the denominator of write amplification).
    pub fn media_received_bytes(&self) -> u64 {
        self.counters
            .media_received_bytes
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}
