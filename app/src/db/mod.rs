//! The metadata database (redb, `mibee-nvr.redb` in the data dir): everything that is not
//! configuration. Owns the schema version, migrations, and the invariant check behind
//! `mibee-nvr check`. Tables: `meta` (schema version and bookkeeping), `runtime` (small
//! JSON state such as the boot counter), `daily_stats` (one JSON sample per UTC day).

mod clock;
mod export;
mod lifecycle;
mod migrate;
mod recordings;

use crate::sync::RwLockExt;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use clock::Rename;
pub use lifecycle::{CameraGroup, MergeOutcome, MergeRules};
pub use migrate::CURRENT_SCHEMA_VERSION;
use recordings::{CAMERA_BYTES, CAMERA_RECORDINGS, FILE_RECORDINGS, FILES, RECORDINGS, TOTALS};
pub use recordings::{FileRow, FileTail, IndexOp, RecordingFilter, RecordingRow};

pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(crate) const RUNTIME: TableDefinition<&str, &[u8]> = TableDefinition::new("runtime");
pub(crate) const DAILY_STATS: TableDefinition<&str, &[u8]> = TableDefinition::new("daily_stats");

pub const DB_FILE_NAME: &str = "mibee-nvr.redb";

/// redb's page cache (read cache and write buffer together). redb's default is 1 GiB, which
/// a year of recordings' index (~1 GiB for 8 million rows) would fill on a 1 GiB box; the hot
/// pages (the B-tree's upper levels and the newest leaves) fit in a few MiB.
pub const CACHE_BYTES: usize = 8 << 20;

fn builder() -> redb::Builder {
    let mut b = redb::Builder::new();
    b.set_cache_size(CACHE_BYTES);
    b
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Redb(#[from] redb::Error),
    #[error(
        "database schema version {found} is newer than this build supports ({supported}); refusing to downgrade"
    )]
    TooNew { found: u64, supported: u64 },
    #[error("database invariant violated: {0}")]
    Invariant(String),
    #[error("database task failed: {0}")]
    Join(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(impl From<$t> for DbError { fn from(e: $t) -> Self { DbError::Redb(e.into()) } })*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// One day's storage sample, kept for `GET /api/stats/trends`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailySample {
    pub date: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub recording_count: u64,
    /// Bytes the daemon has written to storage over its lifetime (all boots), at the
    /// time of the sample: the basis of the card-wear estimate.
    #[serde(default)]
    pub lifetime_bytes_written: u64,
}

/// The open redb database, replaceable in place (a restore swaps in the restored file while
/// handlers keep their `Arc<Db>`; transactions already begun finish on the old one).
pub(crate) struct Handle(std::sync::RwLock<std::sync::Arc<Database>>);

impl Handle {
    fn get(&self) -> std::sync::Arc<Database> {
        self.0.read_locked().clone()
    }
    pub(crate) fn begin_read(&self) -> Result<redb::ReadTransaction, redb::TransactionError> {
        self.get().begin_read()
    }
    pub(crate) fn begin_write(&self) -> Result<redb::WriteTransaction, redb::TransactionError> {
        self.get().begin_write()
    }
}

pub struct Db {
    db: Handle,
    path: PathBuf,
    /// Clock corrections known in this process (see db::clock).
    corrections: clock::Corrections,
}

impl Db {
    /// Opens (or creates) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let db = builder().create(path)?;
        migrate::migrate(&db)?;
        Ok(Self {
            db: Handle(std::sync::RwLock::new(std::sync::Arc::new(db))),
            path: path.to_path_buf(),
            corrections: Default::default(),
        })
    }

    /// Replaces this database with the one at `restored` (same filesystem): that file is
    /// opened, migrated and checked first, then renamed over ours and swapped in.
    pub fn replace_with(&self, restored: &Path) -> Result<(), DbError> {
        Db::open(restored)?.check()?;
        let io = |e: std::io::Error| DbError::Invariant(format!("replacing the database: {e}"));
        std::fs::rename(restored, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        let new = builder().create(&self.path)?;
        migrate::migrate(&new)?;
        *self.db.0.write_locked() = std::sync::Arc::new(new);
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<u64, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(META)?;
        Ok(t.get("schema_version")?.map(|g| g.value()).unwrap_or(0))
    }

    /// A cheap read that proves the database answers (used by health checks).
    pub fn ping(&self) -> Result<(), DbError> {
        self.schema_version().map(|_| ())
    }

    /// Increments and returns the boot counter.
    pub fn record_boot(&self) -> Result<u64, DbError> {
        let txn = self.db.begin_write()?;
        let n = {
            let mut t = txn.open_table(META)?;
            let n = t.get("boot_count")?.map(|g| g.value()).unwrap_or(0) + 1;
            t.insert("boot_count", n)?;
            n
        };
        txn.commit()?;
        Ok(n)
    }

    pub fn put_runtime<T: Serialize>(&self, key: &str, value: &T) -> Result<(), DbError> {
        let bytes = serde_json::to_vec(value).map_err(|e| DbError::Invariant(e.to_string()))?;
        let txn = self.db.begin_write()?;
        txn.open_table(RUNTIME)?.insert(key, bytes.as_slice())?;
        txn.commit()?;
        Ok(())
    }

    pub fn get_runtime<T: for<'de> Deserialize<'de>>(
        &self,
        key: &str,
    ) -> Result<Option<T>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(RUNTIME)?;
        match t.get(key)? {
            None => Ok(None),
            Some(g) => serde_json::from_slice(g.value())
                .map(Some)
                .map_err(|e| DbError::Invariant(format!("runtime[{key}]: {e}"))),
        }
    }

    /// Stores (replaces) the sample of `sample.date`.
    pub fn put_daily_sample(&self, sample: &DailySample) -> Result<(), DbError> {
        parse_date(&sample.date)?;
        let bytes = serde_json::to_vec(sample).map_err(|e| DbError::Invariant(e.to_string()))?;
        let txn = self.db.begin_write()?;
        txn.open_table(DAILY_STATS)?
            .insert(sample.date.as_str(), bytes.as_slice())?;
        txn.commit()?;
        Ok(())
    }

    /// Drops the samples of days before `before_date` (YYYY-MM-DD).
    pub fn prune_daily_samples(&self, before_date: &str) -> Result<u64, DbError> {
        let txn = self.db.begin_write()?;
        let n = {
            let mut t = txn.open_table(DAILY_STATS)?;
            let old: Vec<String> = t
                .range(..before_date)?
                .map(|r| r.map(|(k, _)| k.value().to_string()))
                .collect::<Result<_, _>>()?;
            for k in &old {
                t.remove(k.as_str())?;
            }
            old.len() as u64
        };
        txn.commit()?;
        Ok(n)
    }

    /// A bookkeeping counter in the meta table (0 when unset).
    pub fn meta_u64(&self, key: &str) -> Result<u64, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(META)?;
        Ok(t.get(key)?.map(|g| g.value()).unwrap_or(0))
    }

    pub fn set_meta_u64(&self, key: &str, value: u64) -> Result<(), DbError> {
        let txn = self.db.begin_write()?;
        txn.open_table(META)?.insert(key, value)?;
        txn.commit()?;
        Ok(())
    }

    /// All daily samples, oldest first.
    pub fn daily_samples(&self) -> Result<Vec<DailySample>, DbError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DAILY_STATS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (_, v) = row?;
            let s: DailySample = serde_json::from_slice(v.value())
                .map_err(|e| DbError::Invariant(format!("daily_stats: {e}")))?;
            out.push(s);
        }
        Ok(out)
    }

    /// Verifies the invariants: schema version current, every table readable, every daily
    /// sample keyed by its own valid date, every runtime value valid JSON. Returns a summary.
    pub fn check(&self) -> Result<String, DbError> {
        let version = self.schema_version()?;
        if version != CURRENT_SCHEMA_VERSION {
            return Err(DbError::Invariant(format!(
                "schema version {version}, expected {CURRENT_SCHEMA_VERSION}"
            )));
        }
        let txn = self.db.begin_read()?;
        let daily = txn.open_table(DAILY_STATS)?;
        let mut days = 0;
        for row in daily.iter()? {
            let (k, v) = row?;
            let s: DailySample = serde_json::from_slice(v.value())
                .map_err(|e| DbError::Invariant(format!("daily_stats[{}]: {e}", k.value())))?;
            if s.date != k.value() {
                return Err(DbError::Invariant(format!(
                    "daily_stats key {} holds date {}",
                    k.value(),
                    s.date
                )));
            }
            parse_date(&s.date)?;
            if s.used_bytes > s.total_bytes {
                return Err(DbError::Invariant(format!(
                    "daily_stats[{}]: used > total",
                    s.date
                )));
            }
            days += 1;
        }
        let runtime = txn.open_table(RUNTIME)?;
        let mut keys = 0;
        for row in runtime.iter()? {
            let (k, v) = row?;
            serde_json::from_slice::<serde_json::Value>(v.value())
                .map_err(|e| DbError::Invariant(format!("runtime[{}]: {e}", k.value())))?;
            keys += 1;
        }
        let (files, recs) = self.check_recordings(&txn)?;
        Ok(format!(
            "schema v{version}; {files} files; {recs} recordings; {days} daily samples; {keys} runtime keys"
        ))
    }

    /// Every recording belongs to a known file of its camera, covers a non-empty byte range
    /// after the init segment, does not overlap another recording of its file, and is in
    /// the per-camera and per-file indexes (which hold nothing else); the counters agree.
    /// Streams the tables: memory stays bounded by the number of cameras, not recordings.
    fn check_recordings(&self, txn: &redb::ReadTransaction) -> Result<(u64, u64), DbError> {
        use std::collections::HashMap;
        fn bad<T>(m: String) -> Result<T, DbError> {
            Err(DbError::Invariant(m))
        }
        let files = txn.open_table(FILES)?;
        let recs = txn.open_table(RECORDINGS)?;
        let by_cam = txn.open_table(CAMERA_RECORDINGS)?;
        let by_file = txn.open_table(recordings::FILE_RECS)?;
        let mut n = 0u64;
        let mut counts: HashMap<(String, String, bool), u64> = HashMap::new();
        let mut cam_bytes: HashMap<String, u64> = HashMap::new();
        for row in recs.iter()? {
            let (k, v) = row?;
            let id = k.value();
            let r: RecordingRow = recordings::parse(&format!("recordings[{id}]"), v.value())?;
            let Some(f) = files.get(r.file_id)? else {
                return bad(format!("recording {id}: unknown file {}", r.file_id));
            };
            let f: FileRow = recordings::parse("files", f.value())?;
            if f.camera_id != r.camera_id {
                return bad(format!(
                    "recording {id}: file {} is another camera's",
                    r.file_id
                ));
            }
            if r.byte_start < f.init_len || r.byte_end <= r.byte_start || r.duration_ns < 0 {
                return bad(format!("recording {id}: bad byte range or duration"));
            }
            if by_cam.get((r.camera_id.as_str(), id))?.is_none() {
                return bad(format!("recording {id}: missing from camera index"));
            }
            if by_file.get((r.file_id, r.byte_start))?.map(|g| g.value()) != Some(id) {
                return bad(format!("recording {id}: missing from the file index"));
            }
            *counts
                .entry((r.camera_id.clone(), r.format.clone(), r.merged))
                .or_default() += 1;
            *cam_bytes.entry(r.camera_id.clone()).or_default() += r.size_bytes();
            n += 1;
        }
        // Per file, in byte order: no overlaps, and the per-file counts.
        let per_file = txn.open_table(FILE_RECORDINGS)?;
        let mut files_with_recordings = 0u64;
        let mut cur: Option<(u64, u64, u64)> = None; // (file, count, end of the last range)
        let mut close = |c: Option<(u64, u64, u64)>| -> Result<(), DbError> {
            if let Some((fid, count, _)) = c {
                files_with_recordings += 1;
                if per_file.get(fid)?.map(|g| g.value()) != Some(count) {
                    return bad(format!("file {fid}: per-file recording count disagrees"));
                }
            }
            Ok(())
        };
        for row in by_file.iter()? {
            let (k, v) = row?;
            let ((fid, start), id) = (k.value(), v.value());
            let Some(g) = recs.get(id)? else {
                return bad(format!(
                    "file index names recording {id}, which does not exist"
                ));
            };
            let r: RecordingRow = recordings::parse("recordings", g.value())?;
            match &mut cur {
                Some((f, count, end)) if *f == fid => {
                    if start < *end {
                        return bad(format!(
                            "file {fid}: recording {id} overlaps the one before"
                        ));
                    }
                    *count += 1;
                    *end = r.byte_end;
                }
                _ => {
                    close(cur.take())?;
                    cur = Some((fid, 1, r.byte_end));
                }
            }
        }
        close(cur)?;
        let cam_rows = redb::ReadableTableMetadata::len(&by_cam)?;
        let file_rows = redb::ReadableTableMetadata::len(&by_file)?;
        if cam_rows != n || file_rows != n {
            return bad(format!(
                "indexes have {cam_rows} (camera) and {file_rows} (file) rows for {n} recordings"
            ));
        }
        if redb::ReadableTableMetadata::len(&per_file)? != files_with_recordings {
            return bad("per-file counts name files without recordings".into());
        }
        let totals = txn.open_table(TOTALS)?;
        let mut stored = HashMap::new();
        for row in totals.iter()? {
            let (k, v) = row?;
            let (c, f, m) = k.value();
            stored.insert((c.to_string(), f.to_string(), m), v.value());
        }
        if stored != counts {
            return bad(format!(
                "recording totals {stored:?} disagree with the recordings {counts:?}"
            ));
        }
        let mut stored_bytes = HashMap::new();
        for row in txn.open_table(CAMERA_BYTES)?.iter()? {
            let (k, v) = row?;
            stored_bytes.insert(k.value().to_string(), v.value());
        }
        if stored_bytes != cam_bytes {
            return bad(format!(
                "camera byte totals {stored_bytes:?} disagree with the recordings {cam_bytes:?}"
            ));
        }
        let untrusted = txn.open_table(clock::UNTRUSTED)?;
        for row in untrusted.iter()? {
            let id = row?.0.value();
            if recs.get(id)?.is_none() {
                return bad(format!(
                    "untrusted mark for recording {id}, which does not exist"
                ));
            }
        }
        Ok((redb::ReadableTableMetadata::len(&files)?, n))
    }

    /// Runs redb's own structural integrity check (needs exclusive access).
    pub fn check_integrity(path: &Path) -> Result<bool, DbError> {
        let mut db = builder().open(path)?;
        Ok(db.check_integrity()?)
    }
}

fn parse_date(s: &str) -> Result<time::Date, DbError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).map_err(|e| DbError::Invariant(format!("bad date {s:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_migrate_and_check() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(DB_FILE_NAME);
        let db = Db::open(&p).unwrap();
        assert_eq!(db.schema_version().unwrap(), CURRENT_SCHEMA_VERSION);
        assert_eq!(db.record_boot().unwrap(), 1);
        let s = DailySample {
            date: "2026-11-26".into(),
            total_bytes: 10,
            used_bytes: 4,
            recording_count: 2,
            lifetime_bytes_written: 9,
        };
        db.put_daily_sample(&s).unwrap();
        assert!(
            db.put_daily_sample(&DailySample {
                date: "2026-13-01".into(),
                ..s.clone()
            })
            .is_err()
        );
        db.put_runtime("x", &serde_json::json!({"a": 1})).unwrap();
        assert!(db.check().unwrap().contains("1 daily samples"));
        drop(db);
        let db = Db::open(&p).unwrap();
        assert_eq!(db.record_boot().unwrap(), 2, "state survives reopening");
        assert_eq!(db.daily_samples().unwrap(), vec![s]);
        drop(db);
        assert!(Db::check_integrity(&p).unwrap());
    }

    #[test]
    fn check_catches_a_bad_row() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join(DB_FILE_NAME)).unwrap();
        let txn = db.db.begin_write().unwrap();
        txn.open_table(DAILY_STATS)
            .unwrap()
            .insert("2026-01-01", b"{not json".as_slice())
            .unwrap();
        txn.commit().unwrap();
        assert!(matches!(db.check(), Err(DbError::Invariant(_))));
    }
}
