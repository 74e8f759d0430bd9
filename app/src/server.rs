//! Daemon start-up and shutdown: load the config, open the database, bind, serve until
//! SIGTERM/SIGINT, then drain in-flight requests.

use crate::config::ConfigStore;
use crate::db::{DB_FILE_NAME, Db};
use crate::state::AppState;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub struct ServeOptions {
    pub config_path: PathBuf,
    /// Overrides `server.listen` for this run only (tests use `127.0.0.1:0`).
    pub listen: Option<String>,
    /// Where to write the bound address once listening (for tests and scripts).
    pub ready_file: Option<PathBuf>,
    /// The hardware watchdog device to feed while healthy, and its timeout in seconds.
    pub watchdog: Option<(PathBuf, u32)>,
}

pub async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let config = ConfigStore::load_or_create(&opts.config_path)?;
    let cfg = config.get();
    let db_path = config.data_dir().join(DB_FILE_NAME);
    let db = Db::open(&db_path).with_context(|| format!("opening {}", db_path.display()))?;
    let boots = db.record_boot()?;
    let root = cfg.storage_root(config.data_dir());
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let root = root.canonicalize().unwrap_or(root);
    let clock = std::sync::Arc::new(crate::clock::Clock::new(config.data_dir()));
    let renamed = crate::storage::reanchor::finish_pending(&db, &root)?;
    if renamed > 0 {
        tracing::info!(
            files = renamed,
            "finished renames of re-anchored media files"
        );
    }
    let segment_ns = cfg.storage.segment_ns();
    let recovered = crate::storage::recovery::recover(&db, &root, segment_ns)?;
    if recovered > 0 {
        tracing::info!(
            recordings = recovered,
            "crash recovery indexed unindexed fragments"
        );
    }
    let db = std::sync::Arc::new(db);
    let (index, index_task) = crate::storage::index::spawn_writer(db.clone());
    let state = AppState::new(std::sync::Arc::new(config), db, root, index, clock.clone());
    state.pipelines.sync(&state.config.get());
    tokio::spawn(crate::clock::run(clock.clone(), {
        let state = state.clone();
        async move |c| {
            let (db, root, reclaimer) = (
                state.db.clone(),
                state.storage_root(),
                state.reclaimer.clone(),
            );
            let r = tokio::task::spawn_blocking(move || {
                crate::storage::reanchor::apply(&db, &root, reclaimer.io_lock(), c)
            })
            .await;
            match r {
                Ok(Ok(_)) => true,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "re-anchoring recordings failed; retrying");
                    false
                }
                Err(e) => {
                    tracing::error!(error = %e, "re-anchoring task failed; retrying");
                    false
                }
            }
        }
    }));
    crate::storage::lifecycle::spawn(state.lifecycle.clone());
    tokio::spawn(crate::clock::apply_ntp_servers(state.config.clone()));
    tokio::spawn(crate::ingest::manager::watch_wedged(
        state.pipelines.clone(),
        state.config.clone(),
    ));
    crate::live::spawn_reaper(state.live.clone(), state.config.clone());
    let addr = opts.listen.clone().unwrap_or_else(|| cfg.listen_addr());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, boot = boots, config = %opts.config_path.display(), version = env!("CARGO_PKG_VERSION"), "mibee-nvr listening");
    if let Some(p) = &opts.ready_file {
        write_ready_file(p, bound)?;
    }
    let watchdog = match &opts.watchdog {
        Some((dev, secs)) => Some(
            crate::watchdog::start(dev, *secs, state.db.clone(), bound)
                .with_context(|| format!("opening the watchdog {}", dev.display()))?,
        ),
        None => None,
    };
    let app = crate::api::router(state.clone());
    let shutdown_state = state.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        shutdown_state.set_shutting_down();
        tracing::info!("shutting down: draining requests");
    })
    .await?;
    state.live.close_all();
    state.pipelines.shutdown().await;
    state.index.flush().await;
    if let Err(e) = clock.save() {
        tracing::warn!(error = %e, "could not save the clock");
    }
    if let Err(e) = state.lifecycle.persist_lifetime_bytes_written() {
        tracing::warn!(error = %e, "could not store the lifetime write counter");
    }
    drop(index_task); // it idles until the process exits; everything is committed
    if let Some(w) = watchdog {
        w.disarm();
    }
    tracing::info!("stopped");
    Ok(())
}

fn write_ready_file(path: &Path, bound: SocketAddr) -> anyhow::Result<()> {
    crate::fsutil::write_atomic(path, bound.to_string().as_bytes(), 0o644)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
