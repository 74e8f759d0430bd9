//! Schema versions and the migration path. Each step upgrades one version inside one write
//! transaction, so a crash mid-migration leaves the previous version intact. A database
//! written by a newer build is refused rather than silently downgraded.

use super::lifecycle::ARCHIVE_RETENTION;
use super::recordings::{
    CAMERA_BYTES, CAMERA_RECORDINGS, FILE_RECORDINGS, FILES, RECORDINGS, RecordingRow, TOTALS,
    parse,
};
use super::{DAILY_STATS, DbError, META, RUNTIME};
use redb::{Database, ReadableTable};

/// Version 1: meta, runtime, daily_stats. Version 2: files, recordings, camera_recordings,
/// recording_totals. Version 3: camera_bytes, file_recordings (filled from the recordings),
/// archive_retention, file_tails. Version 4: file_recs (filled from the recordings),
/// merge_watermark, untrusted_recordings, untrusted_files, pending_renames.
pub const CURRENT_SCHEMA_VERSION: u64 = 4;

/// Brings the database to `CURRENT_SCHEMA_VERSION`.
pub fn migrate(db: &Database) -> Result<(), DbError> {
    loop {
        let txn = db.begin_write()?;
        let version = {
            let meta = txn.open_table(META)?;
            meta.get("schema_version")?.map(|g| g.value()).unwrap_or(0)
        };
        if version == CURRENT_SCHEMA_VERSION {
            txn.abort()?;
            return Ok(());
        }
        if version > CURRENT_SCHEMA_VERSION {
            return Err(DbError::TooNew {
                found: version,
                supported: CURRENT_SCHEMA_VERSION,
            });
        }
        match version {
            0 => {
                txn.open_table(RUNTIME)?;
                txn.open_table(DAILY_STATS)?;
                let mut meta = txn.open_table(META)?;
                let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
                meta.insert("created_at_unix", now)?;
            }
            1 => {
                txn.open_table(FILES)?;
                txn.open_table(RECORDINGS)?;
                txn.open_table(CAMERA_RECORDINGS)?;
                txn.open_table(TOTALS)?;
            }
            2 => {
                txn.open_table(ARCHIVE_RETENTION)?;
                txn.open_table(super::recordings::FILE_TAILS)?;
                let mut bytes = txn.open_table(CAMERA_BYTES)?;
                let mut per_file = txn.open_table(FILE_RECORDINGS)?;
                let recs = txn.open_table(RECORDINGS)?;
                for row in recs.iter()? {
                    let (_, v) = row?;
                    let r: RecordingRow = parse("recordings", v.value())?;
                    let b = bytes
                        .get(r.camera_id.as_str())?
                        .map(|g| g.value())
                        .unwrap_or(0);
                    bytes.insert(r.camera_id.as_str(), b + r.size_bytes())?;
                    let n = per_file.get(r.file_id)?.map(|g| g.value()).unwrap_or(0);
                    per_file.insert(r.file_id, n + 1)?;
                }
            }
            3 => {
                txn.open_table(super::recordings::MERGE_WATERMARK)?;
                txn.open_table(super::clock::UNTRUSTED)?;
                txn.open_table(super::clock::UNTRUSTED_FILES)?;
                txn.open_table(super::clock::RENAMES)?;
                let mut by_file = txn.open_table(super::recordings::FILE_RECS)?;
                let recs = txn.open_table(RECORDINGS)?;
                for row in recs.iter()? {
                    let (k, v) = row?;
                    let r: RecordingRow = parse("recordings", v.value())?;
                    by_file.insert((r.file_id, r.byte_start), k.value())?;
                }
            }
            v => unreachable!("no migration from schema version {v}"),
        }
        txn.open_table(META)?
            .insert("schema_version", version + 1)?;
        txn.commit()?;
        tracing::info!(from = version, to = version + 1, "migrated database schema");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("x.redb")).unwrap();
        migrate(&db).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("schema_version", CURRENT_SCHEMA_VERSION + 1)
            .unwrap();
        txn.commit().unwrap();
        assert!(matches!(migrate(&db), Err(DbError::TooNew { .. })));
    }
}
