//! Schema versions and the migration path. Each step upgrades one version inside one write
//! transaction, so a crash mid-migration leaves the previous version intact. A database
//! written by a newer build is refused rather than silently downgraded.

use super::recordings::{CAMERA_RECORDINGS, FILES, RECORDINGS, TOTALS};
use super::{DAILY_STATS, DbError, META, RUNTIME};
use redb::{Database, ReadableTable};

/// Version 1: meta, runtime, daily_stats. Version 2: files, recordings, camera_recordings,
/// recording_totals.
pub const CURRENT_SCHEMA_VERSION: u64 = 2;

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
