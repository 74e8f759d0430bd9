//! Crash-safe file writes (temp file, fsync, rename, fsync of the directory) and the
//! filesystem figures (statvfs) that health and stats report.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` so that after a crash the file holds either the old or the
/// new content, never a mix. Returns the bytes written.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<u64> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| bytes.len() as u64)
}

/// Size and use of the filesystem holding `path`.
#[derive(Debug, Clone, Copy)]
pub struct FsUsage {
    pub total_bytes: u64,
    pub free_bytes: u64,
    /// What unprivileged writers can still use (what matters to us: root reserve excluded).
    pub available_bytes: u64,
}

impl FsUsage {
    pub fn used_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.free_bytes)
    }
    /// Used share in percent as `df` shows it: used / (used + available).
    pub fn used_percent(&self) -> f64 {
        let denom = self.used_bytes() + self.available_bytes;
        if denom == 0 {
            0.0
        } else {
            self.used_bytes() as f64 * 100.0 / denom as f64
        }
    }
}

pub fn fs_usage(path: &Path) -> std::io::Result<FsUsage> {
    let st = rustix::fs::statvfs(path)?;
    let frsize = st.f_frsize;
    Ok(FsUsage {
        total_bytes: st.f_blocks * frsize,
        free_bytes: st.f_bfree * frsize,
        available_bytes: st.f_bavail * frsize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        write_atomic(&p, b"one", 0o600).unwrap();
        write_atomic(&p, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn statvfs_of_tmp() {
        let u = fs_usage(Path::new("/tmp")).unwrap();
        assert!(
            u.total_bytes > 0 && u.available_bytes <= u.free_bytes && u.free_bytes <= u.total_bytes
        );
        assert!((0.0..=100.0).contains(&u.used_percent()));
    }
}
