//! The storage lifecycle tasks: the cleanup schedule (retention by age, the disk threshold,
//! orphans) on `cleanup.check_interval`; the merger on `merge.check_interval` with the
//! cameras' overrides; the daily storage sample behind `/api/stats/trends` and the lifetime
//! write counter behind the card-wear estimate. A settings change applies at once.

use crate::config::ConfigStore;
use crate::config::{Config, MergeConfig};
use crate::db::Db;
use crate::db::{DailySample, MergeRules};
use crate::media::now_wall_ns;
use crate::storage::retention::Reclaimer;
use crate::sync::LockExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Daily samples older than this are pruned.
pub const TREND_DAYS: i64 = 400;
const SAMPLE_INTERVAL: Duration = Duration::from_secs(3600);

/// What the merger did since start (`GET /api/merge/status`).
#[derive(Debug, Default, Clone)]
pub struct MergeStats {
    pub runs: u64,
    pub error_count: u64,
    pub segments_merged: u64,
    pub recordings_created: u64,
    pub last_run_ns: Option<i64>,
}

/// The last cleanup pass, for `/api/stats`.
#[derive(Debug, Default, Clone)]
pub struct CleanupStats {
    pub last_run_ns: Option<i64>,
    pub last: Option<super::retention::CheckReport>,
    pub error_count: u64,
}

#[derive(Debug, Default)]
pub struct LifecycleStatus {
    pub merge: Mutex<MergeStats>,
    pub cleanup: Mutex<CleanupStats>,
}

const LIFETIME_KEY: &str = "lifetime_bytes_written";

/// What the lifecycle tasks need (not the whole app): the config, the index, the reclaimer,
/// where to report, and the lifetime write counter.
#[derive(Clone)]
pub struct Lifecycle {
    pub config: Arc<ConfigStore>,
    pub db: Arc<Db>,
    pub reclaimer: Arc<Reclaimer>,
    pub status: Arc<LifecycleStatus>,
    /// Lifetime bytes written before this start (meta `lifetime_bytes_written`).
    lifetime_base: u64,
}

impl Lifecycle {
    pub fn new(config: Arc<ConfigStore>, db: Arc<Db>, reclaimer: Arc<Reclaimer>) -> Self {
        Self {
            lifetime_base: db.meta_u64(LIFETIME_KEY).unwrap_or(0),
            config,
            db,
            reclaimer,
            status: Default::default(),
        }
    }

    /// Bytes this box has written over its life (all processes, for the card-wear estimate).
    pub fn lifetime_bytes_written(&self) -> u64 {
        self.lifetime_base + crate::sysinfo::process_write_bytes()
    }

    /// Stores the lifetime figure (hourly and at shutdown); returns it.
    pub fn persist_lifetime_bytes_written(&self) -> Result<u64, crate::db::DbError> {
        let total = self.lifetime_bytes_written();
        self.db.set_meta_u64(LIFETIME_KEY, total)?;
        Ok(total)
    }
}

/// Starts the three tasks; they end with the runtime.
pub fn spawn(app: Lifecycle) {
    tokio::spawn(cleanup_loop(app.clone()));
    tokio::spawn(merge_loop(app.clone()));
    tokio::spawn(sample_loop(app));
}

/// The parts of the config the cleanup pass depends on.
fn cleanup_inputs(c: &Config) -> impl PartialEq + use<> {
    let cams: Vec<(String, Option<u32>)> = c
        .cameras
        .iter()
        .map(|c| (c.id.clone(), c.retention_days))
        .collect();
    (c.cleanup.clone(), c.features.auto_delete_old, cams)
}

/// Runs one cleanup pass now (also used after archive retention changes).
pub async fn run_cleanup(app: &Lifecycle) {
    let cfg = app.config.get();
    let reclaimer = app.reclaimer.clone();
    let result = tokio::task::spawn_blocking(move || reclaimer.check(&cfg, now_wall_ns())).await;
    let mut st = app.status.cleanup.locked();
    st.last_run_ns = Some(now_wall_ns());
    match result {
        Ok(Ok(report)) => {
            if report.expired + report.over_threshold > 0 {
                tracing::info!(
                    expired = report.expired,
                    over_threshold = report.over_threshold,
                    used_percent = report.used_percent_after,
                    "cleanup deleted recordings"
                );
            }
            if report.threshold_unreachable {
                tracing::warn!(
                    used_percent = report.used_percent_after,
                    "disk above the threshold with no recordings left to delete: other files fill it"
                );
            }
            st.last = Some(report);
        }
        Ok(Err(e)) => {
            st.error_count += 1;
            tracing::error!(error = %e, "cleanup failed");
        }
        Err(e) => {
            st.error_count += 1;
            tracing::error!(error = %e, "cleanup task failed");
        }
    }
}

async fn cleanup_loop(app: Lifecycle) {
    let mut changes = app.config.subscribe();
    loop {
        let cfg = app.config.get();
        run_cleanup(&app).await;
        let deadline = tokio::time::Instant::now() + cfg.cleanup.check_interval.as_duration();
        let inputs = cleanup_inputs(&cfg);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                r = changes.changed() => {
                    if r.is_err() {
                        return;
                    }
                    if cleanup_inputs(&changes.borrow_and_update()) != inputs {
                        break; // a changed setting applies at once
                    }
                }
            }
        }
    }
}

/// The merge settings in effect for a camera id: the camera's overrides over `[merge]`.
pub fn effective_merge(cfg: &Config, camera_id: &str) -> MergeConfig {
    let mut m = cfg.merge.clone();
    if let Some(o) = cfg.camera(camera_id).and_then(|c| c.merge.as_ref()) {
        m.enabled = o.enabled.unwrap_or(m.enabled);
        if let Some(v) = o.check_interval {
            m.check_interval = v;
        }
        if let Some(v) = o.window_size {
            m.window_size = v;
        }
        m.batch_limit = o.batch_limit.unwrap_or(m.batch_limit);
        if let Some(v) = o.min_segment_age {
            m.min_segment_age = v;
        }
        m.min_segments_to_merge = o.min_segments_to_merge.unwrap_or(m.min_segments_to_merge);
    }
    m
}

/// One merge pass over the cameras that are due (all of them when `force`).
async fn merge_pass(app: &Lifecycle, last_run: &mut HashMap<String, i64>, force: bool) {
    let cfg = app.config.get();
    let db = app.db.clone();
    let now = now_wall_ns();
    let Ok(groups) = db.camera_groups() else {
        app.status.merge.locked().error_count += 1;
        return;
    };
    let mut ran = false;
    for g in groups {
        let m = effective_merge(&cfg, &g.camera_id);
        let interval_ns = m.check_interval.as_duration().as_nanos() as i64;
        let due = force
            || last_run
                .get(&g.camera_id)
                .is_none_or(|t| now - t >= interval_ns);
        if !m.enabled || !due {
            continue;
        }
        last_run.insert(g.camera_id.clone(), now);
        let rules = MergeRules {
            ended_before_ns: now - m.min_segment_age.as_duration().as_nanos() as i64,
            window_ns: m.window_size.as_duration().as_nanos() as i64,
            batch_limit: m.batch_limit as u64,
            min_segments: m.min_segments_to_merge as u64,
        };
        let db = db.clone();
        let cam = g.camera_id.clone();
        let r = tokio::task::spawn_blocking(move || db.merge_camera(&cam, rules)).await;
        ran = true;
        let mut st = app.status.merge.locked();
        match r {
            Ok(Ok(o)) => {
                st.segments_merged += o.segments_merged;
                st.recordings_created += o.recordings_created;
                if o.segments_merged > 0 {
                    tracing::info!(camera = %g.camera_id, segments = o.segments_merged, into = o.recordings_created, "merged recordings");
                }
            }
            Ok(Err(e)) => {
                st.error_count += 1;
                tracing::error!(camera = %g.camera_id, error = %e, "merge failed");
            }
            Err(e) => {
                st.error_count += 1;
                tracing::error!(error = %e, "merge task failed");
            }
        }
    }
    if ran {
        let mut st = app.status.merge.locked();
        st.runs += 1;
        st.last_run_ns = Some(now);
    }
}

async fn merge_loop(app: Lifecycle) {
    let mut changes = app.config.subscribe();
    let mut last_run: HashMap<String, i64> = HashMap::new();
    let mut force = false;
    loop {
        merge_pass(&app, &mut last_run, force).await;
        let cfg = app.config.get();
        // Wake for the camera whose interval is shortest.
        let tick = cfg
            .cameras
            .iter()
            .map(|c| effective_merge(&cfg, &c.id).check_interval.as_duration())
            .chain([cfg.merge.check_interval.as_duration()])
            .min()
            .unwrap_or(Duration::from_secs(3600))
            .max(Duration::from_secs(60));
        let merge_inputs = |c: &Config| {
            let cams: Vec<_> = c.cameras.iter().map(|x| x.merge.clone()).collect();
            (c.merge.clone(), cams)
        };
        let inputs = merge_inputs(&cfg);
        force = false;
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            r = changes.changed() => {
                if r.is_err() {
                    return;
                }
                // Changed merge settings apply at once: every camera runs now.
                force = merge_inputs(&changes.borrow_and_update()) != inputs;
            }
        }
    }
}

/// Records today's storage sample and the lifetime write counter.
pub fn take_sample(app: &Lifecycle) -> Result<DailySample, crate::db::DbError> {
    let usage = app
        .reclaimer
        .usage()
        .map_err(|e| crate::db::DbError::Invariant(e.to_string()))?;
    let lifetime = app.persist_lifetime_bytes_written()?;
    let recordings: u64 = app.db.camera_groups()?.iter().map(|g| g.recordings).sum();
    let today = time::OffsetDateTime::now_utc().date();
    let sample = DailySample {
        date: date_string(today),
        total_bytes: usage.total_bytes,
        used_bytes: usage.used_bytes(),
        recording_count: recordings,
        lifetime_bytes_written: lifetime,
    };
    app.db.put_daily_sample(&sample)?;
    let oldest = today - time::Duration::days(TREND_DAYS);
    app.db.prune_daily_samples(&date_string(oldest))?;
    Ok(sample)
}

pub fn date_string(d: time::Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}

async fn sample_loop(app: Lifecycle) {
    loop {
        let a = app.clone();
        match tokio::task::spawn_blocking(move || take_sample(&a)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "daily storage sample failed"),
            Err(e) => tracing::warn!(error = %e, "daily storage sample task failed"),
        }
        tokio::time::sleep(SAMPLE_INTERVAL).await;
    }
}
