//! A consistent copy of the whole database for backups: every table copied row by row from
//! one read transaction (a snapshot) into a fresh database file, which also compacts it.

use super::clock::{RENAMES, UNTRUSTED, UNTRUSTED_FILES};
use super::lifecycle::ARCHIVE_RETENTION;
use super::recordings::{
    CAMERA_BYTES, CAMERA_RECORDINGS, FILE_RECORDINGS, FILE_RECS, FILE_TAILS, FILES,
    MERGE_WATERMARK, RECORDINGS, TOTALS,
};
use super::{DAILY_STATS, Db, DbError, META, RUNTIME};
use redb::ReadableTable;
use std::path::Path;

macro_rules! copy_tables {
    ($src:expr, $dst:expr, $($t:expr),+ $(,)?) => {{
        $(
            {
                let from = $src.open_table($t)?;
                let mut to = $dst.open_table($t)?;
                for row in from.iter()? {
                    let (k, v) = row?;
                    to.insert(k.value(), v.value())?;
                }
            }
        )+
    }};
}

impl Db {
    /// Writes a snapshot of every table to a new database at `dest` (which must not exist).
    pub fn export_to(&self, dest: &Path) -> Result<(), DbError> {
        let src = self.db.begin_read()?;
        let out = super::builder().create(dest)?;
        let dst = out.begin_write()?;
        copy_tables!(
            src,
            dst,
            META,
            RUNTIME,
            DAILY_STATS,
            FILES,
            RECORDINGS,
            CAMERA_RECORDINGS,
            TOTALS,
            CAMERA_BYTES,
            FILE_RECORDINGS,
            FILE_TAILS,
            ARCHIVE_RETENTION,
            FILE_RECS,
            MERGE_WATERMARK,
            UNTRUSTED,
            UNTRUSTED_FILES,
            RENAMES,
        );
        dst.commit()?;
        Ok(())
    }
}
