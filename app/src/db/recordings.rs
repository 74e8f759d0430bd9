//! The recordings index in the metadata database: media files (append-only fMP4 files, one
//! row each) and recordings (byte ranges of whole fragments in one file, one row each, the
//! API's segments). Rows are postcard-encoded (compact: ~70 bytes a recording, so a million
//! recordings stay small on the card); keys are integers so ranges scan in time order.
//! postcard is not self-describing: a row layout change needs a schema migration.

use super::{Db, DbError, META};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

pub(crate) const FILES: TableDefinition<u64, &[u8]> = TableDefinition::new("files");
/// Key: recording id (start wall time in Unix ns, made unique).
pub(crate) const RECORDINGS: TableDefinition<u64, &[u8]> = TableDefinition::new("recordings");
/// Key: (camera id, recording id): one camera's recordings in time order.
pub(crate) const CAMERA_RECORDINGS: TableDefinition<(&str, u64), ()> =
    TableDefinition::new("camera_recordings");
/// META key: the longest recording ever indexed, in ns (bounds time-window scans).
pub(crate) const MAX_RECORDING_NS: &str = "max_recording_ns";

/// Key: (camera id, format, merged) → number of recordings: `total` without a scan.
pub(crate) const TOTALS: TableDefinition<(&str, &str, bool), u64> =
    TableDefinition::new("recording_totals");

/// Key: camera id → bytes of its recordings (archive sizes without a scan).
pub(crate) const CAMERA_BYTES: TableDefinition<&str, u64> = TableDefinition::new("camera_bytes");
/// Key: file id → number of recordings in it (a sealed file with none left is deleted).
pub(crate) const FILE_RECORDINGS: TableDefinition<u64, u64> =
    TableDefinition::new("file_recordings");

/// Key: file id of an unsealed file → the end of the newest recording deleted from it
/// ([`FileTail`]): crash recovery resumes after it even when no indexed recording is left.
pub(crate) const FILE_TAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("file_tails");

/// Where the indexed part of a file ended (byte, wall and media time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FileTail {
    pub byte_end: u64,
    pub end_wall_ns: i64,
    pub media_end_90k: i64,
}

/// Key: (file id, byte start) → recording id: one file's recordings in byte order (per-file
/// lookups without scanning a camera's history).
pub(crate) const FILE_RECS: TableDefinition<(u64, u64), u64> = TableDefinition::new("file_recs");
/// Key: camera id → recording id below which merging has nothing left to do.
pub(crate) const MERGE_WATERMARK: TableDefinition<&str, u64> =
    TableDefinition::new("merge_watermark");

/// Everything kept beside the recordings table, updated in the same transaction by every
/// path that adds or removes a recording: the per-camera and per-file indexes, the counters,
/// and the merge watermark (a recording added below it lowers it).
pub(crate) struct Secondary<'t> {
    by_cam: redb::Table<'t, (&'static str, u64), ()>,
    file_recs: redb::Table<'t, (u64, u64), u64>,
    totals: redb::Table<'t, (&'static str, &'static str, bool), u64>,
    bytes: redb::Table<'t, &'static str, u64>,
    files: redb::Table<'t, u64, u64>,
    watermark: redb::Table<'t, &'static str, u64>,
}

impl<'t> Secondary<'t> {
    pub(crate) fn open(txn: &'t redb::WriteTransaction) -> Result<Self, DbError> {
        Ok(Self {
            by_cam: txn.open_table(CAMERA_RECORDINGS)?,
            file_recs: txn.open_table(FILE_RECS)?,
            totals: txn.open_table(TOTALS)?,
            bytes: txn.open_table(CAMERA_BYTES)?,
            files: txn.open_table(FILE_RECORDINGS)?,
            watermark: txn.open_table(MERGE_WATERMARK)?,
        })
    }

    /// Recording `id` (row `r`) was added.
    pub(crate) fn add(&mut self, id: u64, r: &RecordingRow) -> Result<(), DbError> {
        let cam = r.camera_id.as_str();
        self.by_cam.insert((cam, id), ())?;
        self.file_recs.insert((r.file_id, r.byte_start), id)?;
        let wm = self.watermark.get(cam)?.map(|g| g.value());
        if wm.is_some_and(|w| id < w) {
            self.watermark.insert(cam, id)?;
        }
        self.bump(r, 1)
    }

    /// Up to `limit` ids of `camera_id`'s recordings in `[from, to)`, oldest first.
    pub(crate) fn camera_range(
        &self,
        camera_id: &str,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<u64>, DbError> {
        let mut out = Vec::new();
        for row in self.by_cam.range((camera_id, from)..(camera_id, to))? {
            out.push(row?.0.value().1);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Where merging `camera_id` starts (0: from its first recording).
    pub(crate) fn watermark(&self, camera_id: &str) -> Result<u64, DbError> {
        Ok(self
            .watermark
            .get(camera_id)?
            .map(|g| g.value())
            .unwrap_or(0))
    }

    pub(crate) fn set_watermark(&mut self, camera_id: &str, id: u64) -> Result<(), DbError> {
        self.watermark.insert(camera_id, id)?;
        Ok(())
    }

    /// Recording `id` (row `r`) was removed.
    pub(crate) fn remove(&mut self, id: u64, r: &RecordingRow) -> Result<(), DbError> {
        self.by_cam.remove((r.camera_id.as_str(), id))?;
        self.file_recs.remove((r.file_id, r.byte_start))?;
        self.bump(r, -1)
    }

    /// Counts `r` in (`delta` = 1) or out (-1).
    fn bump(&mut self, r: &RecordingRow, delta: i64) -> Result<(), DbError> {
        let key = (r.camera_id.as_str(), r.format.as_str(), r.merged);
        let n = self.totals.get(key)?.map(|g| g.value()).unwrap_or(0);
        let n = (n as i64 + delta).max(0) as u64;
        if n == 0 {
            self.totals.remove(key)?;
        } else {
            self.totals.insert(key, n)?;
        }
        let cam = r.camera_id.as_str();
        let b = self.bytes.get(cam)?.map(|g| g.value()).unwrap_or(0);
        let b = (b as i64 + delta * r.size_bytes() as i64).max(0) as u64;
        // Every recording has bytes: zero means the camera has none left.
        if b == 0 {
            self.bytes.remove(cam)?;
        } else {
            self.bytes.insert(cam, b)?;
        }
        let f = self.files.get(r.file_id)?.map(|g| g.value()).unwrap_or(0);
        let f = (f as i64 + delta).max(0) as u64;
        if f == 0 {
            self.files.remove(r.file_id)?;
        } else {
            self.files.insert(r.file_id, f)?;
        }
        Ok(())
    }
}

/// One append-only media file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRow {
    pub camera_id: String,
    /// Path relative to the storage root.
    pub rel_path: String,
    /// Length of the init segment at the start of the file.
    pub init_len: u64,
    /// Wall time (Unix ns) and media time (90 kHz) of the file's first fragment.
    pub start_wall_ns: i64,
    pub start_media_90k: i64,
    /// No more fragments will be appended.
    pub sealed: bool,
    /// `h264` or `h265`, and the video size, from the init segment.
    pub format: String,
    pub width: u32,
    pub height: u32,
}

/// One recording: whole fragments `[byte_start, byte_end)` of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingRow {
    pub camera_id: String,
    pub file_id: u64,
    pub byte_start: u64,
    pub byte_end: u64,
    pub media_start_90k: i64,
    pub media_end_90k: i64,
    pub start_wall_ns: i64,
    pub duration_ns: i64,
    pub frame_count: u64,
    /// `h264` or `h265`.
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub merged: bool,
    /// Made from fragments found by crash recovery (its wall times are unslewed).
    pub recovered: bool,
}

impl RecordingRow {
    pub fn end_wall_ns(&self) -> i64 {
        self.start_wall_ns + self.duration_ns
    }
    pub fn size_bytes(&self) -> u64 {
        self.byte_end - self.byte_start
    }
}

/// Filters of `GET /api/recordings`.
#[derive(Debug, Clone, Default)]
pub struct RecordingFilter {
    pub camera_id: Option<String>,
    pub format: Option<String>,
    pub merged: Option<bool>,
    /// Recordings that end after `start_ns` and begin before `end_ns`.
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
}

impl RecordingFilter {
    fn matches(&self, r: &RecordingRow) -> bool {
        self.camera_id.as_ref().is_none_or(|c| *c == r.camera_id)
            && self.format.as_ref().is_none_or(|f| *f == r.format)
            && self.merged.is_none_or(|m| m == r.merged)
            && self.start_ns.is_none_or(|s| r.end_wall_ns() > s)
            && self.end_ns.is_none_or(|e| r.start_wall_ns < e)
    }
}

/// A change to the index, applied in one transaction with others.
#[derive(Debug, Clone)]
pub enum IndexOp {
    InsertRecording(RecordingRow),
    /// A recording whose wall times come from an untrusted clock (epoch: see db::clock).
    InsertUntrusted {
        row: RecordingRow,
        epoch: u64,
    },
    SealFile(u64),
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_stdvec(v).expect("row serializes")
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(what: &str, b: &[u8]) -> Result<T, DbError> {
    postcard::from_bytes(b).map_err(|e| DbError::Invariant(format!("{what}: {e}")))
}

impl Db {
    /// Registers a new media file (committed at once: recovery must know every file).
    /// `row.rel_path` is a prefix; the file id and `.mp4` are appended to it.
    pub fn create_file(&self, row: &mut FileRow) -> Result<u64, DbError> {
        self.create_file_in(row, None)
    }

    /// `create_file` for a file whose start time comes from clock epoch `epoch` when that
    /// clock is not trusted (`None`: trusted). A correction already known for the epoch is
    /// applied (and the name follows it); otherwise the file is marked untrusted.
    pub fn create_file_in(&self, row: &mut FileRow, epoch: Option<u64>) -> Result<u64, DbError> {
        let txn = self.db.begin_write()?;
        let id = {
            let mut meta = txn.open_table(META)?;
            let id = meta.get("next_file_id")?.map(|g| g.value()).unwrap_or(1);
            meta.insert("next_file_id", id + 1)?;
            id
        };
        match epoch.map(|e| (e, self.corrections.get(e))) {
            Some((_, Some(delta))) => {
                row.start_wall_ns = row.start_wall_ns.saturating_add(delta);
                row.rel_path = super::clock::file_prefix(&row.camera_id, row.start_wall_ns);
            }
            Some((e, None)) => {
                txn.open_table(super::clock::UNTRUSTED_FILES)?
                    .insert(id, e)?;
            }
            None => {}
        }
        row.rel_path = format!("{}-{id}.mp4", row.rel_path);
        txn.open_table(FILES)?.insert(id, encode(row).as_slice())?;
        txn.commit()?;
        Ok(id)
    }

    pub fn file(&self, id: u64) -> Result<Option<FileRow>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(FILES)?;
        t.get(id)?.map(|g| parse("files", g.value())).transpose()
    }

    pub fn files(&self) -> Result<Vec<(u64, FileRow)>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(FILES)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.push((k.value(), parse("files", v.value())?));
        }
        Ok(out)
    }

    /// Applies a batch of index changes in one transaction. Returns the ids given to new
    /// recordings, in order.
    pub fn apply(&self, ops: &[IndexOp]) -> Result<Vec<u64>, DbError> {
        let txn = self.db.begin_write()?;
        let mut longest_ns = 0i64;
        let mut ids = Vec::new();
        {
            let mut recs = txn.open_table(RECORDINGS)?;
            let mut files = txn.open_table(FILES)?;
            let mut sec = Secondary::open(&txn)?;
            let mut untrusted = txn.open_table(super::clock::UNTRUSTED)?;
            for op in ops {
                match op {
                    IndexOp::InsertRecording(r) => {
                        let id = super::clock::free_id(&recs, r.start_wall_ns)?;
                        recs.insert(id, encode(r).as_slice())?;
                        sec.add(id, r)?;
                        longest_ns = longest_ns.max(r.duration_ns);
                        ids.push(id);
                    }
                    IndexOp::InsertUntrusted { row, epoch } => {
                        // A correction known for the epoch applies now (see db::clock).
                        let delta = self.corrections.get(*epoch);
                        let mut r = row.clone();
                        r.start_wall_ns = r.start_wall_ns.saturating_add(delta.unwrap_or(0));
                        let id = super::clock::free_id(&recs, r.start_wall_ns)?;
                        recs.insert(id, encode(&r).as_slice())?;
                        sec.add(id, &r)?;
                        if delta.is_none() {
                            untrusted.insert(id, *epoch)?;
                        }
                        longest_ns = longest_ns.max(r.duration_ns);
                        ids.push(id);
                    }
                    IndexOp::SealFile(fid) => {
                        let row = files
                            .get(*fid)?
                            .map(|g| parse::<FileRow>("files", g.value()))
                            .transpose()?;
                        if let Some(mut row) = row {
                            row.sealed = true;
                            files.insert(*fid, encode(&row).as_slice())?;
                        }
                    }
                }
            }
        }
        if longest_ns > 0 {
            let mut meta = txn.open_table(META)?;
            let old = meta.get(MAX_RECORDING_NS)?.map(|g| g.value()).unwrap_or(0);
            if longest_ns as u64 > old {
                meta.insert(MAX_RECORDING_NS, longest_ns as u64)?;
            }
        }
        txn.commit()?;
        Ok(ids)
    }

    pub fn recording(&self, id: u64) -> Result<Option<RecordingRow>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(RECORDINGS)?;
        t.get(id)?
            .map(|g| parse("recordings", g.value()))
            .transpose()
    }

    /// Removes recordings from the index; returns the rows removed (missing ids skipped).
    pub fn delete_recordings(&self, ids: &[u64]) -> Result<Vec<(u64, RecordingRow)>, DbError> {
        let txn = self.db.begin_write()?;
        let mut out = Vec::new();
        {
            let mut recs = txn.open_table(RECORDINGS)?;
            let mut sec = Secondary::open(&txn)?;
            let mut untrusted = txn.open_table(super::clock::UNTRUSTED)?;
            let files = txn.open_table(FILES)?;
            let mut tails = txn.open_table(FILE_TAILS)?;
            for &id in ids {
                let row = recs
                    .remove(id)?
                    .map(|g| parse::<RecordingRow>("recordings", g.value()))
                    .transpose()?;
                if let Some(row) = row {
                    let unsealed = files
                        .get(row.file_id)?
                        .map(|g| parse::<FileRow>("files", g.value()))
                        .transpose()?
                        .is_some_and(|f| !f.sealed);
                    let old = tails
                        .get(row.file_id)?
                        .map(|g| parse::<FileTail>("file_tails", g.value()))
                        .transpose()?;
                    if unsealed && old.is_none_or(|t| t.byte_end < row.byte_end) {
                        let tail = FileTail {
                            byte_end: row.byte_end,
                            end_wall_ns: row.end_wall_ns(),
                            media_end_90k: row.media_end_90k,
                        };
                        tails.insert(row.file_id, encode(&tail).as_slice())?;
                    }
                    sec.remove(id, &row)?;
                    untrusted.remove(id)?;
                    out.push((id, row));
                }
            }
        }
        txn.commit()?;
        Ok(out)
    }

    /// Where the newest recording deleted from an unsealed file ended.
    pub fn file_tail(&self, file_id: u64) -> Result<Option<FileTail>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(FILE_TAILS)?;
        t.get(file_id)?
            .map(|g| parse("file_tails", g.value()))
            .transpose()
    }

    /// The newest recording of a file (recovery continues after it).
    pub fn last_recording_of_file(&self, file_id: u64) -> Result<Option<RecordingRow>, DbError> {
        let txn = self.db.begin_read()?;
        let by_file = txn.open_table(FILE_RECS)?;
        let recs = txn.open_table(RECORDINGS)?;
        let last = by_file
            .range((file_id, 0)..=(file_id, u64::MAX))?
            .next_back()
            .transpose()?;
        match last {
            Some((_, id)) => recs
                .get(id.value())?
                .map(|g| parse("recordings", g.value()))
                .transpose(),
            None => Ok(None),
        }
    }

    /// Ids of the recordings in one media file, in byte order.
    pub fn file_recording_ids(&self, file_id: u64) -> Result<Vec<u64>, DbError> {
        let txn = self.db.begin_read()?;
        let by_file = txn.open_table(FILE_RECS)?;
        by_file
            .range((file_id, 0)..=(file_id, u64::MAX))?
            .map(|r| Ok(r?.1.value()))
            .collect()
    }

    /// Up to `limit` recordings of one media file starting at byte `from` or later, in
    /// byte order (walk a file's recordings page by page: a file may hold an hour of them, or
    /// a restored year).
    pub fn file_recordings(
        &self,
        file_id: u64,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordingRow)>, DbError> {
        let txn = self.db.begin_read()?;
        let by_file = txn.open_table(FILE_RECS)?;
        let recs = txn.open_table(RECORDINGS)?;
        let mut out = Vec::new();
        for row in by_file.range((file_id, from)..=(file_id, u64::MAX))? {
            let id = row?.1.value();
            if let Some(g) = recs.get(id)? {
                out.push((id, parse("recordings", g.value())?));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Up to `limit` media files with ids above `after`, in id order (walks over every file
    /// without holding them all).
    pub fn files_page(&self, after: u64, limit: usize) -> Result<Vec<(u64, FileRow)>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(FILES)?;
        let mut out = Vec::new();
        for row in t.range(after.saturating_add(1)..)? {
            let (k, v) = row?;
            out.push((k.value(), parse("files", v.value())?));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Some recording still holds bytes `[start, end)` of `file_id` (a download or frame
    /// read checks this after reading: deletions commit rows before freeing bytes, and a
    /// merge keeps the bytes under the merged recording).
    pub fn recording_covers(&self, file_id: u64, start: u64, end: u64) -> Result<bool, DbError> {
        let txn = self.db.begin_read()?;
        let by_file = txn.open_table(FILE_RECS)?;
        let recs = txn.open_table(RECORDINGS)?;
        let Some(row) = by_file.range((file_id, 0)..=(file_id, start))?.next_back() else {
            return Ok(false);
        };
        let id = row?.1.value();
        Ok(match recs.get(id)? {
            Some(g) => parse::<RecordingRow>("recordings", g.value())?.byte_end >= end,
            None => false,
        })
    }

    /// Newest first: `limit` matches after skipping `offset`, and the count of all matches.
    pub fn list_recordings(
        &self,
        f: &RecordingFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<(u64, RecordingRow)>, u64), DbError> {
        let txn = self.db.begin_read()?;
        let recs = txn.open_table(RECORDINGS)?;
        let mut out = Vec::new();
        let mut total = 0u64;
        // No recording is longer than the longest ever indexed, so a start bound narrows
        // the key range to what can still overlap it.
        let longest = txn
            .open_table(META)?
            .get(MAX_RECORDING_NS)?
            .map(|g| g.value())
            .unwrap_or(0);
        let lo = f
            .start_ns
            .map(|s| (s.max(0) as u64).saturating_sub(longest))
            .unwrap_or(0);
        let hi = f.end_ns.map(|e| e.max(0) as u64).unwrap_or(u64::MAX);
        // Without a time filter the total comes from the counters, and the scan stops
        // as soon as the page is full.
        let counted = f.start_ns.is_none() && f.end_ns.is_none();
        if counted {
            let totals = txn.open_table(TOTALS)?;
            for row in totals.iter()? {
                let (k, v) = row?;
                let (cam, format, merged) = k.value();
                if f.camera_id.as_deref().is_none_or(|c| c == cam)
                    && f.format.as_deref().is_none_or(|x| x == format)
                    && f.merged.is_none_or(|m| m == merged)
                {
                    total += v.value();
                }
            }
        }
        let mut seen = 0u64;
        // Returns false once the page is full and the total is known.
        let mut visit = |id: u64, bytes: &[u8]| -> Result<bool, DbError> {
            let r: RecordingRow = parse("recordings", bytes)?;
            if f.matches(&r) {
                if seen >= offset && (out.len() as u64) < limit {
                    out.push((id, r));
                }
                seen += 1;
            }
            Ok(!(counted && out.len() as u64 >= limit))
        };
        if let Some(cam) = &f.camera_id {
            let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
            for row in by_cam.range((cam.as_str(), lo)..(cam.as_str(), hi))?.rev() {
                let (k, _) = row?;
                let id = k.value().1;
                if let Some(g) = recs.get(id)?
                    && !visit(id, g.value())?
                {
                    break;
                }
            }
        } else {
            for row in recs.range(lo..hi)?.rev() {
                let (k, v) = row?;
                if !visit(k.value(), v.value())? {
                    break;
                }
            }
        }
        Ok((out, if counted { total } else { seen }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(cam: &str, start_s: i64, format: &str, merged: bool) -> RecordingRow {
        RecordingRow {
            camera_id: cam.into(),
            file_id: if cam == "a" { 1 } else { 2 },
            byte_start: 100 + start_s as u64 * 10,
            byte_end: 100 + start_s as u64 * 10 + 10,
            media_start_90k: 0,
            media_end_90k: 900_000,
            start_wall_ns: start_s * 1_000_000_000,
            duration_ns: 10_000_000_000,
            frame_count: 150,
            format: format.into(),
            width: 320,
            height: 240,
            merged,
            recovered: false,
        }
    }

    #[test]
    fn list_filters_totals_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let mut file = FileRow {
            camera_id: "a".into(),
            rel_path: "a/x".into(),
            init_len: 50,
            start_wall_ns: 0,
            start_media_90k: 0,
            sealed: false,
            format: "h264".into(),
            width: 320,
            height: 240,
        };
        assert_eq!(db.create_file(&mut file).unwrap(), 1);
        assert_eq!(file.rel_path, "a/x-1.mp4");
        let mut file_b = FileRow {
            camera_id: "b".into(),
            rel_path: "b/x".into(),
            ..file.clone()
        };
        assert_eq!(db.create_file(&mut file_b).unwrap(), 2);
        let mut ops = Vec::new();
        for i in 0..30 {
            let cam = if i % 3 == 0 { "b" } else { "a" };
            let fmt = if i % 5 == 0 { "h265" } else { "h264" };
            ops.push(IndexOp::InsertRecording(rec(
                cam,
                1000 + i * 10,
                fmt,
                i % 2 == 0,
            )));
        }
        let ids = db.apply(&ops).unwrap();
        assert_eq!(ids.len(), 30);
        let all = RecordingFilter::default();
        let (page, total) = db.list_recordings(&all, 0, 5).unwrap();
        assert_eq!(total, 30);
        assert_eq!(page.len(), 5);
        assert_eq!(page[0].0, ids[29], "newest first");
        let (page, _) = db.list_recordings(&all, 28, 5).unwrap();
        assert_eq!(page.len(), 2, "offset near the end");
        let only_a = RecordingFilter {
            camera_id: Some("a".into()),
            ..Default::default()
        };
        assert_eq!(db.list_recordings(&only_a, 0, 100).unwrap().1, 20);
        let h265_merged = RecordingFilter {
            format: Some("h265".into()),
            merged: Some(true),
            ..Default::default()
        };
        let (rows, total) = db.list_recordings(&h265_merged, 0, 100).unwrap();
        assert_eq!((rows.len() as u64, total), (3, 3));
        assert!(rows.iter().all(|(_, r)| r.format == "h265" && r.merged));
        // Time window: recordings overlapping [1100 s, 1150 s).
        let window = RecordingFilter {
            start_ns: Some(1_100_000_000_000),
            end_ns: Some(1_150_000_000_000),
            ..Default::default()
        };
        let (rows, total) = db.list_recordings(&window, 0, 100).unwrap();
        assert_eq!(total, 5, "starts 1100..1140; the one ending at 1100 is out");
        assert_eq!(rows.len(), 5);
        // Same id twice gets a fresh id.
        let dup = db
            .apply(&[IndexOp::InsertRecording(rec("a", 1000, "h264", false))])
            .unwrap();
        assert_eq!(dup[0], ids[0] + 1);
        let removed = db.delete_recordings(&[ids[0], dup[0], 12345]).unwrap();
        assert_eq!(removed.len(), 2);
        assert_eq!(db.list_recordings(&all, 0, 1).unwrap().1, 29);
        assert!(db.check().unwrap().contains("29 recordings"));
    }
}
