//! Deleting recordings and getting their space back: the one path every deletion takes
//! (API, retention, the disk threshold, the emergency floor, archive deletes). The index
//! changes first (one transaction), then the bytes go: a sealed media file left without
//! recordings is unlinked, otherwise the recording's byte range is hole-punched. Also owns
//! the free-space floor the recorders check before each write, and the "storage full" state.

use crate::config::Config;
use crate::db::{Db, DbError, RecordingRow};
use crate::fsutil::{FsUsage, fs_usage};
use crate::sync::LockExt;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Recordings deleted per transaction.
const DELETE_BATCH: usize = 256;
/// Space always left for the index, the config and backups when nothing can be reclaimed.
const METADATA_RESERVE_BYTES: u64 = 4 << 20;

/// The free space below which recorders reclaim at once: 2 % of the filesystem, at least
/// 16 MiB, at most 1 GiB.
pub fn floor_bytes(total_bytes: u64) -> u64 {
    (total_bytes / 50).clamp(16 << 20, 1 << 30)
}

/// What deletions did since start (for `/api/stats` and the logs).
#[derive(Debug, Default)]
pub struct ReclaimCounters {
    pub recordings_deleted: AtomicU64,
    pub bytes_released: AtomicU64,
    pub files_removed: AtomicU64,
}

/// One cleanup pass.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CheckReport {
    pub expired: u64,
    pub over_threshold: u64,
    pub used_percent_after: f64,
    /// Over the threshold with nothing of ours left to delete (someone else's files).
    pub threshold_unreachable: bool,
    pub orphans: super::orphans::SweepReport,
}

pub struct Reclaimer {
    db: Arc<Db>,
    root: PathBuf,
    /// One reclaim at a time (recorders of several cameras may hit the floor together).
    lock: Mutex<()>,
    /// Index-then-disk changes (deletions, renames) and the orphan sweep exclude each other:
    /// a sweep between a deletion's commit and its unlink would adopt the deleted file.
    io: Mutex<()>,
    full: AtomicBool,
    pub counters: ReclaimCounters,
}

impl Reclaimer {
    pub fn new(db: Arc<Db>, root: PathBuf) -> Self {
        Self {
            db,
            root,
            lock: Mutex::new(()),
            io: Mutex::new(()),
            full: AtomicBool::new(false),
            counters: ReclaimCounters::default(),
        }
    }

    pub fn usage(&self) -> std::io::Result<FsUsage> {
        fs_usage(&self.root)
    }

    /// True while recording is refused because nothing more can be reclaimed (re-checked
    /// against the disk, so a stopped camera does not keep the state alive).
    pub fn is_full(&self) -> bool {
        if !self.full.load(Ordering::Relaxed) {
            return false;
        }
        match self.usage() {
            Ok(u) if u.available_bytes >= floor_bytes(u.total_bytes) => {
                self.set_full(false);
                false
            }
            _ => true,
        }
    }

    /// The storage's index-then-disk lock (see the field).
    pub fn io_lock(&self) -> &Mutex<()> {
        &self.io
    }

    /// Deletes recordings (missing ids are skipped) and frees their bytes. Blocking.
    pub fn delete(&self, ids: &[u64]) -> Result<Vec<(u64, RecordingRow)>, DbError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(DELETE_BATCH) {
            let _io = self.io.locked();
            let removed = self.db.delete_recordings(chunk)?;
            self.release(&removed);
            out.extend(removed);
        }
        Ok(out)
    }

    /// Frees the bytes of removed recordings: whole files when nothing is left in them.
    fn release(&self, removed: &[(u64, RecordingRow)]) {
        let mut by_file: BTreeMap<u64, Vec<&RecordingRow>> = BTreeMap::new();
        for (_, r) in removed {
            by_file.entry(r.file_id).or_default().push(r);
        }
        let c = &self.counters;
        c.recordings_deleted
            .fetch_add(removed.len() as u64, Ordering::Relaxed);
        for (file_id, recs) in by_file {
            let bytes: u64 = recs.iter().map(|r| r.size_bytes()).sum();
            let Ok(Some(f)) = self.db.file(file_id) else {
                continue;
            };
            let path = self.root.join(&f.rel_path);
            if f.sealed && self.db.remove_file_row(file_id).unwrap_or(false) {
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        c.files_removed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(file = %path.display(), error = %e, "could not remove a media file")
                    }
                }
            } else {
                for r in recs {
                    if let Err(e) = super::file::punch_hole(&path, r.byte_start, r.size_bytes()) {
                        tracing::warn!(file = %path.display(), error = %e, "could not release a deleted recording's bytes");
                    }
                }
            }
            c.bytes_released.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// Retention in days of an archive group: the configured camera's `retention_days`,
    /// else the group's own (set through the archives API), else the global one.
    pub fn retention_days(&self, cfg: &Config, camera_id: &str) -> u32 {
        if let Some(cam) = cfg.cameras.iter().find(|c| c.id == camera_id) {
            return cam.retention_days.unwrap_or(cfg.cleanup.retention_days);
        }
        self.db
            .archive_retention(camera_id)
            .ok()
            .flatten()
            .unwrap_or(cfg.cleanup.retention_days)
    }

    /// Deletes every recording older than its group's retention; returns how many.
    pub fn expire(&self, cfg: &Config, now_ns: i64) -> Result<u64, DbError> {
        let mut n = 0;
        for g in self.db.camera_groups()? {
            let days = self.retention_days(cfg, &g.camera_id) as i64;
            let cutoff = now_ns - days * 86_400_000_000_000;
            loop {
                let ids = self
                    .db
                    .expired_recordings(&g.camera_id, cutoff, DELETE_BATCH)?;
                if ids.is_empty() {
                    break;
                }
                n += self.delete(&ids)?.len() as u64;
            }
        }
        Ok(n)
    }

    /// Deletes the oldest recordings (all cameras) until at least `want_free_bytes` more
    /// bytes are available than `usage` shows, or nothing is left. Returns how many.
    fn free_oldest(&self, mut want_free_bytes: u64) -> Result<u64, DbError> {
        let mut n = 0;
        // Recordings stamped before any real date (a clock that read 1970) go last: their
        // place in the order says nothing about their age.
        let mut skip = Some(crate::clock::RELEASE_FLOOR_NS);
        while want_free_bytes > 0 {
            let oldest = self.db.oldest_recordings(DELETE_BATCH, skip)?;
            if oldest.is_empty() {
                if skip.take().is_some() {
                    continue;
                }
                break;
            }
            let mut ids = Vec::new();
            for (id, r) in &oldest {
                ids.push(*id);
                want_free_bytes = want_free_bytes.saturating_sub(r.size_bytes());
                if want_free_bytes == 0 {
                    break;
                }
            }
            n += self.delete(&ids)?.len() as u64;
        }
        Ok(n)
    }

    /// Keeps the filesystem's used share at or below `percent`, oldest recordings first.
    pub fn enforce_threshold(&self, percent: u8) -> Result<(u64, FsUsage), DbError> {
        let _guard = self.lock.locked();
        let mut n = 0;
        for _ in 0..64 {
            let u = self
                .usage()
                .map_err(|e| DbError::Invariant(e.to_string()))?;
            let capacity = u.used_bytes() + u.available_bytes;
            let allowed = capacity / 100 * percent as u64;
            if u.used_bytes() <= allowed {
                return Ok((n, u));
            }
            let deleted = self.free_oldest(u.used_bytes() - allowed)?;
            if deleted == 0 {
                return Ok((n, u));
            }
            n += deleted;
        }
        let u = self
            .usage()
            .map_err(|e| DbError::Invariant(e.to_string()))?;
        Ok((n, u))
    }

    /// Called by a recorder before writing `need_bytes`. Keeps the disk threshold between
    /// scheduled checks (deleting the oldest recordings down to half a percent below it, so
    /// this happens once in a while, not at every write) and, below the free-space floor,
    /// reclaims at once. False when the write must not happen (nothing reclaimable and too
    /// little space left): recording pauses until space returns. Blocking.
    pub fn ensure_space(&self, need_bytes: u64, threshold_percent: u8) -> bool {
        let Ok(u) = self.usage() else { return true };
        let floor = floor_bytes(u.total_bytes);
        let capacity = u.used_bytes() + u.available_bytes;
        let allowed = capacity / 100 * threshold_percent as u64;
        let over = |u: &FsUsage| u.used_bytes() + need_bytes > allowed;
        if u.available_bytes >= floor + need_bytes && !over(&u) {
            self.set_full(false);
            return true;
        }
        let _guard = self.lock.locked();
        let u = self.usage().unwrap_or(u);
        let mut want = 0;
        if over(&u) {
            want = u.used_bytes() + need_bytes + capacity / 200 - allowed;
        }
        if u.available_bytes < floor + need_bytes {
            want = want.max(2 * floor + need_bytes - u.available_bytes);
        }
        if want > 0 {
            match self.free_oldest(want) {
                Ok(n) if n > 0 => {
                    tracing::info!(recordings = n, "deleted the oldest recordings to make room");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "reclaiming space failed"),
            }
        }
        let u = self.usage().unwrap_or(u);
        let ok = u.available_bytes >= need_bytes + METADATA_RESERVE_BYTES;
        self.set_full(!ok);
        ok
    }

    fn set_full(&self, full: bool) {
        if self.full.swap(full, Ordering::Relaxed) != full {
            if full {
                tracing::error!("storage full and nothing left to reclaim: recording paused");
            } else {
                tracing::info!("storage has room again: recording resumes");
            }
        }
    }

    /// One scheduled pass: retention by age (unless `features.auto_delete_old` is off),
    /// then the disk threshold, then orphans.
    pub fn check(&self, cfg: &Config, now_ns: i64) -> Result<CheckReport, DbError> {
        let mut report = CheckReport::default();
        if cfg.features.auto_delete_old {
            report.expired = self.expire(cfg, now_ns)?;
        }
        let (n, u) = self.enforce_threshold(cfg.cleanup.disk_threshold_percent)?;
        report.over_threshold = n;
        report.used_percent_after = u.used_percent();
        report.threshold_unreachable =
            u.used_percent() > cfg.cleanup.disk_threshold_percent as f64 + 0.5;
        let segment_ns = cfg.storage.segment_ns();
        report.orphans = super::orphans::sweep(&self.db, &self.root, segment_ns, &self.io)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CameraConfig, Encoding, Protocol};
    use crate::db::{FileRow, IndexOp};
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    const DAY_NS: i64 = 86_400_000_000_000;
    const MIB: u64 = 1 << 20;

    /// A media file of 1 MiB recordings of a minute, starting at `starts`.
    fn file(db: &Db, root: &Path, cam: &str, sealed: bool, starts: &[i64]) -> u64 {
        let n = starts.len() as u64;
        let start_ns = starts[0];
        let mut row = FileRow {
            camera_id: cam.into(),
            rel_path: format!("{cam}/x"),
            init_len: 4096,
            start_wall_ns: start_ns,
            start_media_90k: 0,
            sealed,
            format: "h264".into(),
            width: 320,
            height: 240,
        };
        std::fs::create_dir_all(root.join(cam)).unwrap();
        let id = db.create_file(&mut row).unwrap();
        std::fs::write(
            root.join(&row.rel_path),
            vec![1u8; (4096 + n * MIB) as usize],
        )
        .unwrap();
        let ops: Vec<IndexOp> = (0..n)
            .map(|i| {
                IndexOp::InsertRecording(RecordingRow {
                    camera_id: cam.into(),
                    file_id: id,
                    byte_start: 4096 + i * MIB,
                    byte_end: 4096 + (i + 1) * MIB,
                    media_start_90k: i as i64 * 5_400_000,
                    media_end_90k: (i as i64 + 1) * 5_400_000,
                    start_wall_ns: starts[i as usize],
                    duration_ns: 60_000_000_000,
                    frame_count: 900,
                    format: "h264".into(),
                    width: 320,
                    height: 240,
                    merged: false,
                    recovered: false,
                })
            })
            .collect();
        db.apply(&ops).unwrap();
        id
    }

    #[test]
    fn retention_by_age_removes_whole_files_or_punches_holes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let db = Arc::new(Db::open(&dir.path().join("t.redb")).unwrap());
        let now = 100 * DAY_NS;
        let old = now - 10 * DAY_NS;
        let minute = 60_000_000_000;
        let sealed_old = file(&db, &root, "gone", true, &[old, old + minute]);
        // An open file: one old recording, then one within retention.
        let open_mixed = file(
            &db,
            &root,
            "gone",
            false,
            &[old + 60 * minute, now - DAY_NS],
        );
        let kept_by_camera = file(&db, &root, "kept", true, &[old]);
        let mut cfg = Config::default();
        cfg.cleanup.retention_days = 7;
        let mut cam = CameraConfig::new(
            "kept",
            "kept",
            Protocol::Rtsp,
            Encoding::H264,
            "rtsp://127.0.0.1/x",
        );
        cam.retention_days = Some(30);
        cfg.cameras.push(cam);
        let r = Reclaimer::new(db.clone(), root.clone());
        assert_eq!(r.retention_days(&cfg, "gone"), 7);
        assert_eq!(r.retention_days(&cfg, "kept"), 30);
        let blocks_before =
            std::fs::metadata(root.join(db.file(open_mixed).unwrap().unwrap().rel_path))
                .unwrap()
                .blocks();
        assert_eq!(r.expire(&cfg, now).unwrap(), 3);
        // The sealed file had nothing left: gone from the index and the disk.
        assert!(db.file(sealed_old).unwrap().is_none());
        assert_eq!(std::fs::read_dir(root.join("gone")).unwrap().count(), 1);
        // The open file keeps its young recording; the old one's bytes were released.
        let f = db.file(open_mixed).unwrap().unwrap();
        let blocks_after = std::fs::metadata(root.join(&f.rel_path)).unwrap().blocks();
        assert!(
            blocks_after * 512 <= blocks_before * 512 - MIB + 8192,
            "{blocks_before} -> {blocks_after}"
        );
        assert_eq!(db.file_recording_count(open_mixed).unwrap(), 1);
        let tail = db.file_tail(open_mixed).unwrap().unwrap();
        assert_eq!(
            tail.byte_end,
            4096 + MIB,
            "recovery resumes after the deleted recording"
        );
        // A camera's own retention wins over the global one.
        assert_eq!(db.file_recording_count(kept_by_camera).unwrap(), 1);
        assert_eq!(r.counters.recordings_deleted.load(Ordering::Relaxed), 3);
        assert_eq!(r.counters.files_removed.load(Ordering::Relaxed), 1);
        db.check().unwrap();
        // An archive group's own retention (set through the archives API).
        db.set_archive_retention("gone", Some(365)).unwrap();
        assert_eq!(r.retention_days(&cfg, "gone"), 365);
    }

    #[test]
    fn threshold_deletes_oldest_across_cameras() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let db = Arc::new(Db::open(&dir.path().join("t.redb")).unwrap());
        let s = 1_000_000_000;
        file(&db, &root, "a", true, &[1000 * s, 1060 * s, 1120 * s]);
        file(&db, &root, "b", true, &[1060 * s, 1120 * s, 1180 * s]);
        let r = Reclaimer::new(db.clone(), root);
        // Free 2.5 MiB: the three oldest recordings go (a0, b0... by start time: a0, a1, b0).
        assert_eq!(r.free_oldest(5 * MIB / 2).unwrap(), 3);
        let (rows, _) = db.list_recordings(&Default::default(), 0, 100).unwrap();
        let starts: Vec<i64> = rows
            .iter()
            .map(|(_, x)| x.start_wall_ns / 1_000_000_000)
            .collect();
        assert_eq!(starts, vec![1180, 1120, 1120]);
        db.check().unwrap();
    }
}
