//! Backups of the configuration and the metadata database (never the video, as the spec
//! says): a `.tar.gz` under `<data dir>/backups/` holding `manifest.json`, the config and a
//! consistent snapshot of the database. Restoring first unpacks and validates everything in a
//! staging directory (a foreign or corrupt archive is refused there, with nothing touched);
//! only then are the database and the config swapped in (see `apply` callers).

use crate::config::{Config, validate};
use crate::db::{DB_FILE_NAME, Db};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

/// Backups kept; older ones are deleted when a new one is made.
pub const BACKUP_KEEP: usize = 10;
const FORMAT: &str = "mibee-nvr-backup";
const MANIFEST: &str = "manifest.json";
const CONFIG_NAME: &str = "mibee-nvr.toml";
const MAX_MANIFEST_BYTES: u64 = 64 << 10;
const MAX_CONFIG_BYTES: u64 = 1 << 20;
const MAX_DB_BYTES: u64 = 16 << 30;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The archive is not a usable backup (foreign, corrupt, invalid content).
    #[error("not a valid MiBee NVR backup: {0}")]
    Invalid(String),
    #[error("backup not found: {0}")]
    NotFound(String),
    #[error("backup: {0}")]
    Io(#[from] std::io::Error),
    #[error("backup: {0}")]
    Db(#[from] crate::db::DbError),
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    schema_version: u64,
    app_version: String,
    created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BackupInfo {
    /// `backup_<unix seconds>` (a `-N` suffix when several are made in one second).
    pub backup_id: String,
    pub path: String,
    pub size_bytes: u64,
    /// RFC 3339.
    pub created_at: String,
}

pub fn backups_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

fn valid_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("backup_") else {
        return false;
    };
    let (secs, n) = rest.split_once('-').unwrap_or((rest, "1"));
    !secs.is_empty()
        && secs.len() <= 20
        && secs.bytes().all(|b| b.is_ascii_digit())
        && !n.is_empty()
        && n.len() <= 6
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// The archive of backup `id`, if it exists.
pub fn path_of(data_dir: &Path, id: &str) -> Result<PathBuf, BackupError> {
    let p = backups_dir(data_dir).join(format!("{id}.tar.gz"));
    if valid_id(id) && p.is_file() {
        Ok(p)
    } else {
        Err(BackupError::NotFound(id.to_string()))
    }
}

fn info(path: &Path) -> Option<BackupInfo> {
    let name = path.file_name()?.to_str()?;
    let id = name.strip_suffix(".tar.gz")?;
    if !valid_id(id) {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let secs: i64 = id["backup_".len()..].split('-').next()?.parse().ok()?;
    Some(BackupInfo {
        backup_id: id.to_string(),
        path: path.display().to_string(),
        size_bytes: meta.len(),
        created_at: crate::media::rfc3339_ns(secs.saturating_mul(1_000_000_000)),
    })
}

/// Every backup, newest first.
pub fn list(data_dir: &Path) -> Vec<BackupInfo> {
    let mut out: Vec<BackupInfo> = std::fs::read_dir(backups_dir(data_dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| info(&e.path()))
        .collect();
    out.sort_by_key(|b| std::cmp::Reverse(sort_key(&b.backup_id)));
    out
}

fn sort_key(id: &str) -> (u64, u64) {
    let rest = &id["backup_".len()..];
    let (s, n) = rest.split_once('-').unwrap_or((rest, "1"));
    (s.parse().unwrap_or(0), n.parse().unwrap_or(0))
}

/// Writes a new backup of `db` and `config_text`; prunes beyond `BACKUP_KEEP`. Blocking.
pub fn create(db: &Db, config_text: &str, data_dir: &Path) -> Result<BackupInfo, BackupError> {
    let dir = backups_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let now = time::OffsetDateTime::now_utc();
    let secs = now.unix_timestamp();
    let id = next_id(&dir, secs);
    let staging = tempfile::Builder::new()
        .prefix(".backup-")
        .tempdir_in(&dir)?;
    let snapshot = staging.path().join(DB_FILE_NAME);
    db.export_to(&snapshot)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        version: 1,
        schema_version: db.schema_version()?,
        app_version: env!("CARGO_PKG_VERSION").into(),
        created_at: crate::media::rfc3339_ns(now.unix_timestamp_nanos() as i64),
    };
    let tmp = staging.path().join("out.tar.gz");
    {
        let file = std::fs::File::create(&tmp)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        // Plain regular entries only (tar would store the sparse database file as a GNU
        // sparse entry, which restores then refuse as unexpected).
        let mut add = |name: &str, len: u64, data: &mut dyn Read| -> std::io::Result<()> {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(len);
            h.set_mode(0o600);
            h.set_mtime(secs.max(0) as u64);
            h.set_cksum();
            tar.append_data(&mut h, name, data)
        };
        let manifest = serde_json::to_vec_pretty(&manifest).expect("manifest");
        add(MANIFEST, manifest.len() as u64, &mut manifest.as_slice())?;
        add(
            CONFIG_NAME,
            config_text.len() as u64,
            &mut config_text.as_bytes(),
        )?;
        let mut db_file = std::fs::File::open(&snapshot)?;
        let db_len = db_file.metadata()?.len();
        add(DB_FILE_NAME, db_len, &mut db_file)?;
        let file = tar.into_inner()?.finish()?;
        file.sync_all()?;
    }
    let path = dir.join(format!("{id}.tar.gz"));
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(&dir)?.sync_all()?;
    for old in list(data_dir).into_iter().skip(BACKUP_KEEP) {
        let _ = std::fs::remove_file(&old.path);
    }
    info(&path).ok_or_else(|| BackupError::NotFound(id))
}

/// `backup_<secs>`, or `backup_<secs>-N` after the newest of that second (so ids keep
/// sorting by age even after older ones of the same second were pruned).
fn next_id(dir: &Path, secs: i64) -> String {
    let newest = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let id = name.strip_suffix(".tar.gz")?.to_string();
            (valid_id(&id) && sort_key(&id).0 == secs as u64).then(|| sort_key(&id).1)
        })
        .max();
    match newest {
        None => format!("backup_{secs}"),
        Some(n) => format!("backup_{secs}-{}", n + 1),
    }
}

/// Stores an uploaded archive as a new backup once it validates (`stage`). Blocking.
pub fn import(bytes: &[u8], data_dir: &Path) -> Result<BackupInfo, BackupError> {
    let dir = backups_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".upload-")
        .tempfile_in(&dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    drop(stage(tmp.path(), data_dir)?);
    let id = next_id(&dir, time::OffsetDateTime::now_utc().unix_timestamp());
    let path = dir.join(format!("{id}.tar.gz"));
    tmp.persist(&path).map_err(|e| BackupError::Io(e.error))?;
    std::fs::File::open(&dir)?.sync_all()?;
    info(&path).ok_or(BackupError::NotFound(id))
}

/// A backup unpacked and validated, ready to apply. The staging dir lives in the data dir
/// (same filesystem, so the database file can be renamed into place).
pub struct Staged {
    _dir: tempfile::TempDir,
    pub config: Config,
    pub config_text: String,
    pub db_path: PathBuf,
}

/// Unpacks `archive` into a staging dir and validates it: the manifest, the config (the
/// same validation as at start), and the database (opened, migrated if older, refused if
/// newer, invariants checked). Nothing outside the staging dir is touched. Blocking.
pub fn stage(archive: &Path, data_dir: &Path) -> Result<Staged, BackupError> {
    let bad = |m: String| BackupError::Invalid(m);
    let dir = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(data_dir)?;
    let file = std::fs::File::open(archive)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let (mut manifest, mut config_text, mut have_db) = (None, None, false);
    let entries = tar
        .entries()
        .map_err(|e| bad(format!("not a tar.gz: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("unreadable archive: {e}")))?;
        let kind = entry.header().entry_type();
        if !kind.is_file() {
            return Err(bad(format!(
                "unexpected entry type {kind:?} in the archive"
            )));
        }
        let name = entry
            .path()
            .map_err(|e| bad(e.to_string()))?
            .to_string_lossy()
            .to_string();
        let size = entry.size();
        let mut read_small = |cap: u64| -> Result<String, BackupError> {
            if size > cap {
                return Err(bad(format!("{name} is too large")));
            }
            let mut s = String::new();
            entry
                .read_to_string(&mut s)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            Ok(s)
        };
        match name.as_str() {
            MANIFEST => manifest = Some(read_small(MAX_MANIFEST_BYTES)?),
            CONFIG_NAME => config_text = Some(read_small(MAX_CONFIG_BYTES)?),
            DB_FILE_NAME => {
                if size > MAX_DB_BYTES {
                    return Err(bad("database too large".into()));
                }
                let mut out = std::fs::File::create(dir.path().join(DB_FILE_NAME))?;
                std::io::copy(&mut entry, &mut out).map_err(|e| match e.kind() {
                    std::io::ErrorKind::StorageFull => BackupError::Io(e),
                    _ => bad(format!("database: {e}")),
                })?;
                out.sync_all()?;
                have_db = true;
            }
            other => return Err(bad(format!("unexpected file {other:?}"))),
        }
    }
    let manifest: Manifest =
        serde_json::from_str(&manifest.ok_or_else(|| bad("no manifest".into()))?)
            .map_err(|e| bad(format!("manifest: {e}")))?;
    if manifest.format != FORMAT || manifest.version != 1 {
        return Err(bad(format!(
            "format {} v{}",
            manifest.format, manifest.version
        )));
    }
    let config_text = config_text.ok_or_else(|| bad("no configuration".into()))?;
    let config = Config::from_toml(&config_text).map_err(|e| bad(format!("configuration: {e}")))?;
    validate(&config).map_err(|e| bad(format!("configuration: {e}")))?;
    if !have_db {
        return Err(bad("no database".into()));
    }
    let db_path = dir.path().join(DB_FILE_NAME);
    match Db::open(&db_path).and_then(|db| db.check()) {
        Ok(_) => {}
        Err(e @ crate::db::DbError::TooNew { .. }) => return Err(bad(e.to_string())),
        Err(e) => return Err(bad(format!("database: {e}"))),
    }
    Ok(Staged {
        _dir: dir,
        config,
        config_text,
        db_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_id("backup_1704123456"));
        assert!(valid_id("backup_1704123456-2"));
        for bad in [
            "backup_",
            "backup_12a",
            "../x",
            "backup_1/../../x",
            "backup_1-",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join(DB_FILE_NAME)).unwrap();
        db.set_meta_u64("boot_count", 41).unwrap();
        let text = crate::config::EXAMPLE_TOML;
        let b = create(&db, text, dir.path()).unwrap();
        assert_eq!(list(dir.path()).len(), 1);
        let staged = stage(Path::new(&b.path), dir.path()).unwrap();
        assert_eq!(staged.config_text, text);
        let copy = Db::open(&staged.db_path).unwrap();
        assert_eq!(copy.meta_u64("boot_count").unwrap(), 41);
        drop(copy);
        // Foreign and corrupt archives are refused.
        let junk = dir.path().join("junk.tar.gz");
        std::fs::write(&junk, b"not a backup").unwrap();
        assert!(matches!(
            stage(&junk, dir.path()),
            Err(BackupError::Invalid(_))
        ));
        let mut bytes = std::fs::read(&b.path).unwrap();
        let n = bytes.len();
        bytes.truncate(n / 2);
        std::fs::write(&junk, &bytes).unwrap();
        assert!(matches!(
            stage(&junk, dir.path()),
            Err(BackupError::Invalid(_))
        ));
        // Pruning keeps the newest BACKUP_KEEP.
        for _ in 0..BACKUP_KEEP + 2 {
            create(&db, text, dir.path()).unwrap();
        }
        assert_eq!(list(dir.path()).len(), BACKUP_KEEP);
    }
}
