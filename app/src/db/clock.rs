//! Recordings and media files whose wall times were never trusted (made while the box's
//! clock was not yet set: a Pi has no real-time clock and may boot in 1970), and their
//! re-anchoring once the clock is set (see design/time.md, "A box without a clock").
//!
//! Each untrusted row carries its *clock epoch*: one stretch of this process's life during
//! which the system clock kept one offset from the monotonic clock. When the clock becomes
//! trusted, every epoch of this process gets an exact correction (the change of that
//! offset) and its rows move: new times, new ids (a recording's id is its start time), new
//! file names. A correction is known to the database before its rewrite runs, and every
//! insert consults it inside its own transaction, so no row queued around the step is
//! missed. Epochs of earlier processes cannot be corrected (their monotonic base is gone):
//! their rows stay untrusted, which age retention respects.

use super::recordings::{FILES, FileRow, RECORDINGS, RecordingRow, Secondary, encode, parse};
use super::{Db, DbError};
use crate::sync::RwLockExt;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Key: recording id → clock epoch it was made in (untrusted wall time).
pub(crate) const UNTRUSTED: TableDefinition<u64, u64> =
    TableDefinition::new("untrusted_recordings");
/// Key: file id → clock epoch its name and start time come from.
pub(crate) const UNTRUSTED_FILES: TableDefinition<u64, u64> =
    TableDefinition::new("untrusted_files");
/// Key: file id → a rename decided by a re-anchoring and not yet done on disk.
pub(crate) const RENAMES: TableDefinition<u64, &[u8]> = TableDefinition::new("pending_renames");

/// A media file to move on disk (paths relative to the storage root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    pub file_id: u64,
    pub from: String,
    pub to: String,
}

/// The corrections known in this process: epoch → nanoseconds to add.
#[derive(Debug, Default)]
pub(crate) struct Corrections(std::sync::RwLock<HashMap<u64, i64>>);

impl Corrections {
    pub(crate) fn get(&self, epoch: u64) -> Option<i64> {
        self.0.read_locked().get(&epoch).copied()
    }
    fn set(&self, epoch: u64, delta_ns: i64) {
        self.0.write_locked().insert(epoch, delta_ns);
    }
}

/// A unique id for a recording starting at `start_ns` (ids are start times made unique).
pub(crate) fn free_id(
    recs: &impl ReadableTable<u64, &'static [u8]>,
    start_ns: i64,
) -> Result<u64, DbError> {
    let mut id = start_ns.max(0) as u64;
    while recs.get(id)?.is_some() {
        id += 1;
    }
    Ok(id)
}

/// The media file name for a file of `camera_id` starting at `wall_ns` (its id appended by
/// `create_file`).
pub(crate) fn file_prefix(camera_id: &str, wall_ns: i64) -> String {
    format!("{camera_id}/{}", crate::media::compact_stamp(wall_ns))
}

impl Db {
    /// The epoch of a recording whose time was never trusted.
    pub fn untrusted_epoch(&self, id: u64) -> Result<Option<u64>, DbError> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(UNTRUSTED)?.get(id)?.map(|g| g.value()))
    }

    /// The epoch of a media file made while the clock was untrusted.
    pub fn untrusted_file_epoch(&self, file_id: u64) -> Result<Option<u64>, DbError> {
        let txn = self.db.begin_read()?;
        Ok(txn
            .open_table(UNTRUSTED_FILES)?
            .get(file_id)?
            .map(|g| g.value()))
    }

    /// How many recordings have untrusted times.
    pub fn untrusted_count(&self) -> Result<u64, DbError> {
        let txn = self.db.begin_read()?;
        Ok(redb::ReadableTableMetadata::len(
            &txn.open_table(UNTRUSTED)?,
        )?)
    }

    /// Moves every untrusted recording and file of `epoch` by `delta_ns` (the clock of this
    /// process was found `delta_ns` off during that epoch) and marks them trusted. Returns
    /// the file renames to do on disk (also kept in `pending_renames` until done).
    pub fn reanchor(&self, epoch: u64, delta_ns: i64) -> Result<Vec<Rename>, DbError> {
        // Known before the rewrite: inserts from now on are corrected as they commit.
        self.corrections.set(epoch, delta_ns);
        let txn = self.db.begin_write()?;
        let mut renames = Vec::new();
        {
            let mut untrusted = txn.open_table(UNTRUSTED)?;
            let mut recs = txn.open_table(RECORDINGS)?;
            let mut sec = Secondary::open(&txn)?;
            let ids: Vec<u64> = untrusted
                .iter()?
                .filter_map(|r| r.ok())
                .filter(|(_, e)| e.value() == epoch)
                .map(|(k, _)| k.value())
                .collect();
            // Oldest first, into ids that may collide with each other: remove all, then add.
            let mut moved = Vec::with_capacity(ids.len());
            for id in ids {
                untrusted.remove(id)?;
                let Some(g) = recs.remove(id)? else { continue };
                let row: RecordingRow = parse("recordings", g.value())?;
                drop(g);
                sec.remove(id, &row)?;
                moved.push(row);
            }
            for mut row in moved {
                row.start_wall_ns = row.start_wall_ns.saturating_add(delta_ns);
                let id = free_id(&recs, row.start_wall_ns)?;
                recs.insert(id, encode(&row).as_slice())?;
                sec.add(id, &row)?;
            }
            let mut ufiles = txn.open_table(UNTRUSTED_FILES)?;
            let mut files = txn.open_table(FILES)?;
            let mut pending = txn.open_table(RENAMES)?;
            let fids: Vec<u64> = ufiles
                .iter()?
                .filter_map(|r| r.ok())
                .filter(|(_, e)| e.value() == epoch)
                .map(|(k, _)| k.value())
                .collect();
            for fid in fids {
                ufiles.remove(fid)?;
                let Some(g) = files.get(fid)? else { continue };
                let mut f: FileRow = parse("files", g.value())?;
                drop(g);
                f.start_wall_ns = f.start_wall_ns.saturating_add(delta_ns);
                let to = format!("{}-{fid}.mp4", file_prefix(&f.camera_id, f.start_wall_ns));
                let rename = Rename {
                    file_id: fid,
                    from: std::mem::replace(&mut f.rel_path, to.clone()),
                    to,
                };
                files.insert(fid, encode(&f).as_slice())?;
                pending.insert(fid, encode(&rename).as_slice())?;
                renames.push(rename);
            }
        }
        txn.commit()?;
        Ok(renames)
    }

    /// Renames decided but not yet done (a crash between the index and the disk).
    pub fn pending_renames(&self) -> Result<Vec<Rename>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(RENAMES)?;
        t.iter()?
            .map(|r| {
                let (_, v) = r?;
                parse("pending_renames", v.value())
            })
            .collect()
    }

    pub fn rename_done(&self, file_id: u64) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        txn.open_table(RENAMES)?.remove(file_id)?;
        txn.commit()?;
        Ok(())
    }
}
