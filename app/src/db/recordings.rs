//! The recordings index in the metadata database: media files (append-only fMP4 files, one
//! row each) and recordings (byte ranges of whole fragments in one file, one row each, the
//! API's segments). Rows are JSON values; keys are integers so ranges scan in time order.

use super::{Db, DbError, META};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

pub(crate) const FILES: TableDefinition<u64, &[u8]> = TableDefinition::new("files");
/// Key: recording id (start wall time in Unix ns, made unique).
pub(crate) const RECORDINGS: TableDefinition<u64, &[u8]> = TableDefinition::new("recordings");
/// Key: (camera id, recording id): one camera's recordings in time order.
pub(crate) const CAMERA_RECORDINGS: TableDefinition<(&str, u64), ()> =
    TableDefinition::new("camera_recordings");

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
    #[serde(default)]
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
    SealFile(u64),
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("row serializes")
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, b: &[u8]) -> Result<T, DbError> {
    serde_json::from_slice(b).map_err(|e| DbError::Invariant(format!("{what}: {e}")))
}

impl Db {
    /// Registers a new media file (committed at once: recovery must know every file).
    /// `row.rel_path` is a prefix; the file id and `.mp4` are appended to it.
    pub fn create_file(&self, row: &mut FileRow) -> Result<u64, DbError> {
        let txn = self.db.begin_write()?;
        let id = {
            let mut meta = txn.open_table(META)?;
            let id = meta.get("next_file_id")?.map(|g| g.value()).unwrap_or(1);
            meta.insert("next_file_id", id + 1)?;
            id
        };
        row.rel_path = format!("{}-{id}.mp4", row.rel_path);
        txn.open_table(FILES)?.insert(id, json(row).as_slice())?;
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
        let mut ids = Vec::new();
        {
            let mut recs = txn.open_table(RECORDINGS)?;
            let mut by_cam = txn.open_table(CAMERA_RECORDINGS)?;
            let mut files = txn.open_table(FILES)?;
            for op in ops {
                match op {
                    IndexOp::InsertRecording(r) => {
                        let mut id = r.start_wall_ns.max(0) as u64;
                        while recs.get(id)?.is_some() {
                            id += 1;
                        }
                        recs.insert(id, json(r).as_slice())?;
                        by_cam.insert((r.camera_id.as_str(), id), ())?;
                        ids.push(id);
                    }
                    IndexOp::SealFile(fid) => {
                        let row = files
                            .get(*fid)?
                            .map(|g| parse::<FileRow>("files", g.value()))
                            .transpose()?;
                        if let Some(mut row) = row {
                            row.sealed = true;
                            files.insert(*fid, json(&row).as_slice())?;
                        }
                    }
                }
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
            let mut by_cam = txn.open_table(CAMERA_RECORDINGS)?;
            for &id in ids {
                let row = recs
                    .remove(id)?
                    .map(|g| parse::<RecordingRow>("recordings", g.value()))
                    .transpose()?;
                if let Some(row) = row {
                    by_cam.remove((row.camera_id.as_str(), id))?;
                    out.push((id, row));
                }
            }
        }
        txn.commit()?;
        Ok(out)
    }

    /// The newest recording of a file (recovery continues after it).
    pub fn last_recording_of_file(
        &self,
        camera_id: &str,
        file_id: u64,
    ) -> Result<Option<RecordingRow>, DbError> {
        let txn = self.db.begin_read()?;
        let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
        let recs = txn.open_table(RECORDINGS)?;
        for row in by_cam.range((camera_id, 0)..=(camera_id, u64::MAX))?.rev() {
            let (k, _) = row?;
            let id = k.value().1;
            if let Some(g) = recs.get(id)? {
                let r: RecordingRow = parse("recordings", g.value())?;
                if r.file_id == file_id {
                    return Ok(Some(r));
                }
            }
        }
        Ok(None)
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
        // Recordings never span more than a day, so a start bound narrows the key range.
        let lo = f
            .start_ns
            .map(|s| (s - 86_400_000_000_000).max(0) as u64)
            .unwrap_or(0);
        let hi = f.end_ns.map(|e| e.max(0) as u64).unwrap_or(u64::MAX);
        let mut visit = |id: u64, bytes: &[u8]| -> Result<(), DbError> {
            let r: RecordingRow = parse("recordings", bytes)?;
            if f.matches(&r) {
                if total >= offset && (out.len() as u64) < limit {
                    out.push((id, r));
                }
                total += 1;
            }
            Ok(())
        };
        if let Some(cam) = &f.camera_id {
            let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
            for row in by_cam.range((cam.as_str(), lo)..(cam.as_str(), hi))?.rev() {
                let (k, _) = row?;
                let id = k.value().1;
                if let Some(g) = recs.get(id)? {
                    visit(id, g.value())?;
                }
            }
        } else {
            for row in recs.range(lo..hi)?.rev() {
                let (k, v) = row?;
                visit(k.value(), v.value())?;
            }
        }
        Ok((out, total))
    }
}
