//! Index queries and changes of the storage lifecycle: archive groups (all recordings of one
//! camera id, the camera configured or not) and their retention, the oldest and expired
//! recordings retention deletes, media files left without recordings, and merges (one row
//! replacing several consecutive rows of a file: metadata only).

use super::recordings::{
    CAMERA_BYTES, CAMERA_RECORDINGS, FILE_RECORDINGS, FILES, MAX_RECORDING_NS, RECORDINGS,
    Secondary, TOTALS, parse,
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
    /// Recordings whose time was never trusted are not: their age is unknown.
    pub fn expired_recordings(
        &self,
        camera_id: &str,
        cutoff_ns: i64,
        limit: usize,
    ) -> Result<Vec<u64>, DbError> {
        let txn = self.db.begin_read()?;
        let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
        let recs = txn.open_table(RECORDINGS)?;
        let untrusted = txn.open_table(super::clock::UNTRUSTED)?;
        let mut out = Vec::new();
        let hi = cutoff_ns.max(0) as u64;
        for row in by_cam.range((camera_id, 0)..(camera_id, hi))? {
            let id = row?.0.value().1;
            if untrusted.get(id)?.is_some() {
                continue;
            }
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

    /// The `limit` oldest recordings across all cameras. With `skip_untrusted_before`,
    /// recordings whose untrusted time lies before it (a clock that read 1970: their place
    /// in the order means nothing) are passed over.
    pub fn oldest_recordings(
        &self,
        limit: usize,
        skip_untrusted_before: Option<i64>,
    ) -> Result<Vec<(u64, RecordingRow)>, DbError> {
        let txn = self.db.begin_read()?;
        let recs = txn.open_table(RECORDINGS)?;
        let untrusted = txn.open_table(super::clock::UNTRUSTED)?;
        let mut out = Vec::new();
        for row in recs.iter()? {
            let (k, v) = row?;
            let id = k.value();
            if let Some(before) = skip_untrusted_before
                && (id as i64) < before
                && untrusted.get(id)?.is_some()
            {
                continue;
            }
            out.push((id, parse("recordings", v.value())?));
            if out.len() >= limit {
                break;
            }
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
                txn.open_table(super::clock::UNTRUSTED_FILES)?
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
    /// continuous media time) into single rows, oldest first. Each pass starts at the
    /// camera's watermark (everything before it is final) and reads at most
    /// `MERGE_SCAN_ROWS` rows per transaction, so a pass costs what was recorded since the
    /// last one, not the camera's whole history.
    pub fn merge_camera(
        &self,
        camera_id: &str,
        rules: MergeRules,
    ) -> Result<MergeOutcome, DbError> {
        let mut outcome = MergeOutcome::default();
        loop {
            let (more, longest_ns) = self.merge_chunk(camera_id, rules, &mut outcome)?;
            if longest_ns > 0 {
                self.raise_longest(longest_ns)?;
            }
            if !more {
                return Ok(outcome);
            }
        }
    }

    /// One transaction of a merge pass; returns (more to do, longest merged recording).
    fn merge_chunk(
        &self,
        camera_id: &str,
        rules: MergeRules,
        outcome: &mut MergeOutcome,
    ) -> Result<(bool, i64), DbError> {
        let txn = self.db.begin_write()?;
        let mut longest_ns = 0i64;
        let more;
        {
            let mut recs = txn.open_table(RECORDINGS)?;
            let mut sec = Secondary::open(&txn)?;
            let mut untrusted = txn.open_table(super::clock::UNTRUSTED)?;
            let from = sec.watermark(camera_id)?;
            let hi = rules.ended_before_ns.max(0) as u64;
            let mut rows: Vec<(u64, RecordingRow)> = Vec::new();
            for id in sec.camera_range(camera_id, from, hi, MERGE_SCAN_ROWS)? {
                if let Some(g) = recs.get(id)? {
                    let r: RecordingRow = parse("recordings", g.value())?;
                    if r.end_wall_ns() > rules.ended_before_ns {
                        break; // not old enough yet: neither is anything after it
                    }
                    rows.push((id, r));
                    if rows.len() >= MERGE_SCAN_ROWS {
                        break;
                    }
                }
            }
            let scan_full = rows.len() >= MERGE_SCAN_ROWS;
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
                if !joins && !cur.is_empty() {
                    groups.push(std::mem::take(&mut cur));
                }
                cur.push((id, r));
            }
            // The last group may still grow (more recordings, or the next chunk): it is
            // merged as far as it goes, and the next pass starts at it (its first id is
            // also the merged recording's).
            let mut mark = cur.first().map(|(id, _)| *id);
            if !cur.is_empty() {
                groups.push(cur);
            }
            let mut stopped = false;
            for g in groups {
                if (g.len() as u64) < rules.min_segments.max(2) {
                    continue; // final and too short: never merged
                }
                if outcome.segments_merged + g.len() as u64 > rules.batch_limit {
                    mark = Some(g[0].0); // the batch is full: the next pass resumes here
                    stopped = true;
                    break;
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
                // Parts of one run share its clock epoch: the merged row keeps it.
                let mut epoch = None;
                for (id, r) in &g {
                    recs.remove(*id)?;
                    sec.remove(*id, r)?;
                    if let Some(e) = untrusted.remove(*id)? {
                        epoch = Some(e.value());
                    }
                }
                recs.insert(*first_id, super::recordings::encode(&merged).as_slice())?;
                sec.add(*first_id, &merged)?;
                if let Some(e) = epoch {
                    untrusted.insert(*first_id, e)?;
                }
                outcome.segments_merged += g.len() as u64;
                outcome.recordings_created += 1;
                longest_ns = longest_ns.max(merged.duration_ns);
            }
            if let Some(m) = mark
                && m > from
            {
                sec.set_watermark(camera_id, m)?;
            }
            // A full scan whose groups all closed continues in the next transaction.
            more = scan_full && !stopped && mark.is_some_and(|m| m > from);
        }
        txn.commit()?;
        Ok((more, longest_ns))
    }

    /// List queries bound their scans by the longest recording ever indexed.
    fn raise_longest(&self, longest_ns: i64) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(super::META)?;
            let old = meta.get(MAX_RECORDING_NS)?.map(|g| g.value()).unwrap_or(0);
            if longest_ns.max(0) as u64 > old {
                meta.insert(MAX_RECORDING_NS, longest_ns as u64)?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

/// Rows one merge transaction reads at most.
const MERGE_SCAN_ROWS: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{FileRow, IndexOp};

    fn row(file_id: u64, i: u64) -> RecordingRow {
        RecordingRow {
            camera_id: "a".into(),
            file_id,
            byte_start: 100 + i * 10,
            byte_end: 110 + i * 10,
            media_start_90k: i as i64 * 900_000,
            media_end_90k: (i as i64 + 1) * 900_000,
            start_wall_ns: 1_000_000_000_000 + i as i64 * 10_000_000_000,
            duration_ns: 10_000_000_000,
            frame_count: 150,
            format: "h264".into(),
            width: 1,
            height: 1,
            merged: false,
            recovered: false,
        }
    }

    fn rules(ended_before_s: i64) -> MergeRules {
        MergeRules {
            ended_before_ns: 1_000_000_000_000 + ended_before_s * 1_000_000_000,
            window_ns: 3600 * 1_000_000_000,
            batch_limit: 1000,
            min_segments: 3,
        }
    }

    #[test]
    fn merging_resumes_at_its_watermark_and_grows_the_open_group() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let mut f = FileRow {
            camera_id: "a".into(),
            rel_path: "a/x".into(),
            init_len: 100,
            start_wall_ns: 0,
            start_media_90k: 0,
            sealed: false,
            format: "h264".into(),
            width: 1,
            height: 1,
        };
        let fid = db.create_file(&mut f).unwrap();
        let ops: Vec<IndexOp> = (0..10)
            .map(|i| IndexOp::InsertRecording(row(fid, i)))
            .collect();
        db.apply(&ops).unwrap();
        // Pass 1: the first 6 (ended by 60 s) become one; the watermark is its id.
        let o = db.merge_camera("a", rules(60)).unwrap();
        assert_eq!((o.segments_merged, o.recordings_created), (6, 1));
        let first = row(fid, 0).start_wall_ns as u64;
        let wm = || {
            let txn = db.db.begin_read().unwrap();
            let t = txn
                .open_table(super::super::recordings::MERGE_WATERMARK)
                .unwrap();
            t.get("a").unwrap().map(|g| g.value())
        };
        assert_eq!(wm(), Some(first));
        // Pass 2: the merged row absorbs the next four.
        let o = db.merge_camera("a", rules(100)).unwrap();
        assert_eq!((o.segments_merged, o.recordings_created), (5, 1));
        let (rows, total) = db.list_recordings(&Default::default(), 0, 10).unwrap();
        assert_eq!(total, 1);
        assert_eq!(rows[0].1.frame_count, 1500);
        // A recording indexed below the watermark (crash recovery of an older file) lowers it.
        let mut g = f.clone();
        let gid = db.create_file(&mut g).unwrap();
        let mut old = row(gid, 0);
        old.start_wall_ns -= 500_000_000_000;
        let ids = db.apply(&[IndexOp::InsertRecording(old)]).unwrap();
        assert_eq!(wm(), Some(ids[0]));
        db.check().unwrap();
    }
}
