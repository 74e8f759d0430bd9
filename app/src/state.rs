//! The shared application state handed to every handler: configuration, database, auth
//! bookkeeping, metrics and start time.

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
    pub config: ConfigStore,
    pub db: Db,
    pub auth: AuthState,
    pub metrics: Metrics,
    pub started: Instant,
    /// The recordings root in effect since start (a changed `storage.root_dir` waits for a restart).
    pub storage_root: std::path::PathBuf,
    shutting_down: AtomicBool,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(config: ConfigStore, db: Db, storage_root: std::path::PathBuf) -> Self {
        Self(Arc::new(Inner {
            config,
            db,
            auth: AuthState::default(),
            metrics: Metrics::new(),
            started: Instant::now(),
            storage_root,
            shutting_down: AtomicBool::new(false),
        }))
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

    /// Bytes this process wrote, by kind (video and index arrive with the recording engine).
    pub fn bytes_written(&self) -> Vec<(&'static str, u64)> {
        vec![("config", self.config.bytes_written())]
    }
}
