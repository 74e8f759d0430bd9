//! Index queries and changes of the storage lifecycle: archive groups (all recordings of one
//! camera id, the camera configured or not) and their retention, the oldest and expired
//! recordings retention deletes, media files left without recordings, and merges (one row
//! replacing several consecutive rows of a file: metadata only).

use super::recordings::{
    CAMERA_BYTES, CAMERA_RECORDINGS, Counters, FILE_RECORDINGS, FILES, MAX_RECORDING_NS,
    RECORDINGS, TOTALS, parse,
};
use super::{Db, DbError, RecordingRow};
use redb::{ReadableTable, TableDefinition};

/// Key: camera id of an archive group → its retention in days (for cameras no longer
/// configured; a configured camera's retention is its `retention_days`).
pub(crate) const ARCHIVE_RETENTION: TableDefinition<&str, u32> =
    TableDefinition::new("archive_retention");

/// One archive group: the recordings of one camera id.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraGroup {
    pub camera_id: String,
    pub recordings: u64,
    pub bytes: u64,
    /// Start of the oldest recording and id (start) of the newest, Unix ns.
    pub oldest_start_ns: i64,
    pub newest_start_ns: i64,
}

/// What one merge pass did for one camera.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergeOutcome {
    /// Recordings replaced by merged ones.
    pub segments_merged: u64,
    /// Merged recordings created.
    pub recordings_created: u64,
}

/// The merge rules for one camera (from `[merge]` and the camera's overrides).
#[derive(Debug, Clone, Copy)]
pub struct MergeRules {
    /// Only recordings that ended before this (Unix ns) are merged.
    pub ended_before_ns: i64,
    /// The longest span a merged recording may cover.
    pub window_ns: i64,
    /// At most this many recordings replaced in one pass.
    pub batch_limit: u64,
    /// A merge needs at least this many consecutive recordings.
    pub min_segments: u64,
}

impl Db {
    /// Every camera id with recordings, in id order.
    pub fn camera_groups(&self) -> Result<Vec<CameraGroup>, DbError> {
        let txn = self.db.begin_read()?;
        let totals = txn.open_table(TOTALS)?;
        let bytes = txn.open_table(CAMERA_BYTES)?;
        let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
        let mut out: Vec<CameraGroup> = Vec::new();
        for row in totals.iter()? {
            let (k, v) = row?;
            let cam = k.value().0;
            match out.last_mut() {
                Some(g) if g.camera_id == cam => g.recordings += v.value(),
                _ => out.push(CameraGroup {
                    camera_id: cam.to_string(),
                    recordings: v.value(),
                    bytes: 0,
                    oldest_start_ns: 0,
                    newest_start_ns: 0,
                }),
            }
        }
        for g in &mut out {
            let cam = g.camera_id.as_str();
            g.bytes = bytes.get(cam)?.map(|v| v.value()).unwrap_or(0);
            let mut range = by_cam.range((cam, 0)..=(cam, u64::MAX))?;
            if let Some(first) = range.next() {
                g.oldest_start_ns = first?.0.value().1 as i64;
            }
            if let Some(last) = range.next_back() {
                g.newest_start_ns = last?.0.value().1 as i64;
            } else {
                g.newest_start_ns = g.oldest_start_ns;
            }
        }
        Ok(out)
    }

    /// Up to `limit` recordings of `camera_id` that ended before `cutoff_ns`, oldest first.
    pub fn expired_recordings(
        &self,
        camera_id: &str,
        cutoff_ns: i64,
        limit: usize,
    ) -> Result<Vec<u64>, DbError> {
        let txn = self.db.begin_read()?;
        let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
        let recs = txn.open_table(RECORDINGS)?;
        let mut out = Vec::new();
        let hi = cutoff_ns.max(0) as u64;
        for row in by_cam.range((camera_id, 0)..(camera_id, hi))? {
            let id = row?.0.value().1;
            if let Some(g) = recs.get(id)? {
                let r: RecordingRow = parse("recordings", g.value())?;
                if r.end_wall_ns() <= cutoff_ns {
                    out.push(id);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Up to `limit` recording ids of `camera_id`, oldest first.
    pub fn camera_recording_ids(&self, camera_id: &str, limit: usize) -> Result<Vec<u64>, DbError> {
        let txn = self.db.begin_read()?;
        let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
        let mut out = Vec::new();
        for row in by_cam.range((camera_id, 0)..=(camera_id, u64::MAX))? {
            out.push(row?.0.value().1);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The `limit` oldest recordings across all cameras.
    pub fn oldest_recordings(&self, limit: usize) -> Result<Vec<(u64, RecordingRow)>, DbError> {
        let txn = self.db.begin_read()?;
        let recs = txn.open_table(RECORDINGS)?;
        let mut out = Vec::new();
        for row in recs.iter()?.take(limit) {
            let (k, v) = row?;
            out.push((k.value(), parse("recordings", v.value())?));
        }
        Ok(out)
    }

    /// Number of recordings in a media file.
    pub fn file_recording_count(&self, file_id: u64) -> Result<u64, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(FILE_RECORDINGS)?;
        Ok(t.get(file_id)?.map(|g| g.value()).unwrap_or(0))
    }

    /// Forgets a media file if no recording uses it; returns whether it was removed.
    pub fn remove_file_row(&self, file_id: u64) -> Result<bool, DbError> {
        let txn = self.db.begin_write()?;
        let removed = {
            let used = txn.open_table(FILE_RECORDINGS)?.get(file_id)?.is_some();
            let removed = !used && txn.open_table(FILES)?.remove(file_id)?.is_some();
            if removed {
                txn.open_table(super::recordings::FILE_TAILS)?
                    .remove(file_id)?;
            }
            removed
        };
        txn.commit()?;
        Ok(removed)
    }

    /// Registers a media file found on disk under its existing name (orphan adoption).
    pub fn adopt_file_row(&self, row: &super::FileRow) -> Result<u64, DbError> {
        let txn = self.db.begin_write()?;
        let id = {
            let mut meta = txn.open_table(super::META)?;
            let id = meta.get("next_file_id")?.map(|g| g.value()).unwrap_or(1);
            meta.insert("next_file_id", id + 1)?;
            id
        };
        txn.open_table(FILES)?
            .insert(id, super::recordings::encode(row).as_slice())?;
        txn.commit()?;
        Ok(id)
    }

    /// Ids of the recordings in one media file.
    pub fn file_recording_ids(&self, camera_id: &str, file_id: u64) -> Result<Vec<u64>, DbError> {
        let txn = self.db.begin_read()?;
        let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
        let recs = txn.open_table(RECORDINGS)?;
        let mut out = Vec::new();
        for row in by_cam.range((camera_id, 0)..=(camera_id, u64::MAX))? {
            let id = row?.0.value().1;
            if let Some(g) = recs.get(id)? {
                let r: RecordingRow = parse("recordings", g.value())?;
                if r.file_id == file_id {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }

    pub fn archive_retention(&self, camera_id: &str) -> Result<Option<u32>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(ARCHIVE_RETENTION)?;
        Ok(t.get(camera_id)?.map(|g| g.value()))
    }

    /// Sets (`Some`) or clears (`None`) an archive group's own retention.
    pub fn set_archive_retention(&self, camera_id: &str, days: Option<u32>) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(ARCHIVE_RETENTION)?;
            match days {
                Some(d) => t.insert(camera_id, d)?,
                None => t.remove(camera_id)?,
            };
        }
        txn.commit()?;
        Ok(())
    }

    /// Unmerged recordings per camera (`GET /api/merge/pending`).
    pub fn unmerged_counts(&self) -> Result<Vec<(String, u64)>, DbError> {
        let txn = self.db.begin_read()?;
        let totals = txn.open_table(TOTALS)?;
        let mut out: Vec<(String, u64)> = Vec::new();
        for row in totals.iter()? {
            let (k, v) = row?;
            let (cam, _, merged) = k.value();
            if merged {
                continue;
            }
            match out.last_mut() {
                Some((c, n)) if c == cam => *n += v.value(),
                _ => out.push((cam.to_string(), v.value())),
            }
        }
        Ok(out)
    }

    /// Merges runs of consecutive recordings of `camera_id` (same file, adjacent bytes,
    /// continuous media time) into single rows, oldest first, in one transaction.
    pub fn merge_camera(
        &self,
        camera_id: &str,
        rules: MergeRules,
    ) -> Result<MergeOutcome, DbError> {
        let txn = self.db.begin_write()?;
        let mut outcome = MergeOutcome::default();
        let mut longest_ns = 0i64;
        {
            let mut recs = txn.open_table(RECORDINGS)?;
            let mut by_cam = txn.open_table(CAMERA_RECORDINGS)?;
            let mut counters = Counters::open(&txn)?;
            let mut rows: Vec<(u64, RecordingRow)> = Vec::new();
            let hi = rules.ended_before_ns.max(0) as u64;
            for row in by_cam.range((camera_id, 0)..(camera_id, hi))? {
                let id = row?.0.value().1;
                if let Some(g) = recs.get(id)? {
                    let r: RecordingRow = parse("recordings", g.value())?;
                    if r.end_wall_ns() <= rules.ended_before_ns {
                        rows.push((id, r));
                    }
                }
            }
            let mut groups: Vec<Vec<(u64, RecordingRow)>> = Vec::new();
            let mut cur: Vec<(u64, RecordingRow)> = Vec::new();
            for (id, r) in rows {
                let joins = cur.last().is_some_and(|(_, p)| {
                    p.file_id == r.file_id
                        && p.byte_end == r.byte_start
                        && p.media_end_90k == r.media_start_90k
                        && p.format == r.format
                        && r.end_wall_ns() - cur[0].1.start_wall_ns <= rules.window_ns
                });
                if !joins {
                    groups.push(std::mem::take(&mut cur));
                }
                cur.push((id, r));
            }
            groups.push(cur);
            for g in groups {
                if (g.len() as u64) < rules.min_segments.max(2)
                    || outcome.segments_merged + g.len() as u64 > rules.batch_limit
                {
                    continue;
                }
                let (first_id, first) = &g[0];
                let last = &g[g.len() - 1].1;
                let merged = RecordingRow {
                    byte_end: last.byte_end,
                    media_end_90k: last.media_end_90k,
                    duration_ns: last.end_wall_ns() - first.start_wall_ns,
                    frame_count: g.iter().map(|(_, r)| r.frame_count).sum(),
                    merged: true,
                    recovered: g.iter().any(|(_, r)| r.recovered),
                    ..first.clone()
                };
                for (id, r) in &g {
                    recs.remove(*id)?;
                    by_cam.remove((camera_id, *id))?;
                    counters.bump(r, -1)?;
                }
                recs.insert(*first_id, super::recordings::encode(&merged).as_slice())?;
                by_cam.insert((camera_id, *first_id), ())?;
                counters.bump(&merged, 1)?;
                outcome.segments_merged += g.len() as u64;
                outcome.recordings_created += 1;
                longest_ns = longest_ns.max(merged.duration_ns);
            }
        }
        // List queries bound their scans by the longest recording.
        let mut meta = txn.open_table(super::META)?;
        let old = meta.get(MAX_RECORDING_NS)?.map(|g| g.value()).unwrap_or(0);
        if longest_ns.max(0) as u64 > old {
            meta.insert(MAX_RECORDING_NS, longest_ns as u64)?;
        }
        drop(meta);
        txn.commit()?;
        Ok(outcome)
    }
}
