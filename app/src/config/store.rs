//! The live configuration: loaded (or created with defaults) at start, read lock-free by
//! handlers, and changed only through `update`, which validates and writes atomically.

use super::{Config, ValidationError, validate};
use crate::error::ApiError;
use crate::sync::RwLockExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub struct ConfigStore {
    path: PathBuf,
    data_dir: PathBuf,
    current: RwLock<Arc<Config>>,
    write_lock: tokio::sync::Mutex<()>,
    bytes_written: AtomicU64,
    /// Every accepted change, for tasks that apply settings at once (cleanup, merge).
    changes: tokio::sync::watch::Sender<Arc<Config>>,
}

impl ConfigStore {
    /// Loads and validates the config at `path`, creating it from the commented example when
    /// it does not exist. A provisioning `auth.password` is hashed and removed from the file.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        let data_dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&data_dir)?;
        let mut written = 0;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(path = %path.display(), "no config file; writing defaults");
                written +=
                    crate::fsutil::write_atomic(path, super::EXAMPLE_TOML.as_bytes(), 0o600)?;
                super::EXAMPLE_TOML.to_string()
            }
            Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", path.display())),
        };
        let mut cfg = Config::from_toml(&text)
            .map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
        if !cfg.auth.password.is_empty() {
            cfg.auth.password_hash = crate::auth::hash_password(&cfg.auth.password)?;
            cfg.auth.password.clear();
            validate(&cfg).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
            written += crate::fsutil::write_atomic(path, cfg.to_toml().as_bytes(), 0o600)?;
            tracing::info!("hashed the provisioning password from the config file");
        }
        validate(&cfg).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
        let cfg = Arc::new(cfg);
        Ok(Self {
            path: path.to_path_buf(),
            data_dir,
            changes: tokio::sync::watch::Sender::new(cfg.clone()),
            current: RwLock::new(cfg),
            write_lock: tokio::sync::Mutex::new(()),
            bytes_written: AtomicU64::new(written),
        })
    }

    pub fn get(&self) -> Arc<Config> {
        self.current.read_locked().clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory holding the config, the database and backups.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A receiver that sees every accepted change.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Arc<Config>> {
        self.changes.subscribe()
    }

    pub fn bytes_written(&self) -> u64 {
        self.bytes_written.load(Ordering::Relaxed)
    }

    /// Edits a copy of the config with `edit`, validates it, writes it atomically and only
    /// then makes it current. Any error leaves both the file and the live config untouched.
    pub async fn update<T>(
        &self,
        edit: impl FnOnce(&mut Config) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let _guard = self.write_lock.lock().await;
        let old = self.get();
        let mut new = (*old).clone();
        let out = edit(&mut new)?;
        validate(&new).map_err(ApiError::from)?;
        if new == *old {
            return Ok(out);
        }
        let text = new.to_toml();
        let path = self.path.clone();
        let n = tokio::task::spawn_blocking(move || {
            crate::fsutil::write_atomic(&path, text.as_bytes(), 0o600)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::io("writing config", &e))?;
        self.bytes_written.fetch_add(n, Ordering::Relaxed);
        let new = Arc::new(new);
        *self.current.write_locked() = new.clone();
        self.changes.send_replace(new);
        Ok(out)
    }
}

impl ConfigStore {
    /// Replaces the whole config (a restore): validated, written atomically, then current.
    pub async fn replace(&self, new: Config) -> Result<(), ApiError> {
        self.update(|cfg| {
            *cfg = new;
            Ok(())
        })
        .await
    }
}

/// Used by `mibee-nvr check`: parse and validate a config file without side effects.
pub fn check_file(path: &Path) -> Result<Config, ValidationError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ValidationError::new("config", format!("{}: {e}", path.display())))?;
    let cfg = Config::from_toml(&text)?;
    validate(&cfg)?;
    Ok(cfg)
}
