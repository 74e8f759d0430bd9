//! One append-only media file: created with its init segment, appended a whole fragment at
//! a time, preallocated in large steps, fdatasync'd on a bounded interval, and sealed
//! (preallocation released) when full, old or its stream changed.

use crate::db::{Db, FileRow};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Preallocation step (fewer metadata updates, less fragmentation on the card): 1/256 of
/// the filesystem, 1-64 MiB (a small card must not spend its room on reservations).
pub fn prealloc_step_bytes(fs_total_bytes: u64) -> u64 {
    (fs_total_bytes / 256).clamp(1 << 20, 64 << 20)
}

/// Byte counters of what the daemon writes, by kind.
#[derive(Debug, Default)]
pub struct WriteCounters {
    pub video_bytes: AtomicU64,
    pub media_received_bytes: AtomicU64,
    pub files_created: AtomicU64,
}

pub struct MediaFile {
    pub id: u64,
    pub row: FileRow,
    path: PathBuf,
    file: File,
    pub len_bytes: u64,
    prealloc_end: u64,
    prealloc_step: u64,
    last_sync: Instant,
    pub opened: Instant,
    counters: Arc<WriteCounters>,
}

impl MediaFile {
    /// Registers the file in the index, creates it under `root` and writes the init segment.
    /// `epoch`: the clock epoch of its start time when that clock is untrusted (db::clock).
    pub fn create(
        root: &Path,
        db: &Db,
        mut row: FileRow,
        epoch: Option<u64>,
        init: &[u8],
        counters: Arc<WriteCounters>,
    ) -> std::io::Result<Self> {
        let dir = root.join(&row.camera_id);
        std::fs::create_dir_all(&dir)?;
        row.rel_path = format!(
            "{}/{}",
            row.camera_id,
            crate::media::compact_stamp(row.start_wall_ns)
        );
        row.init_len = init.len() as u64;
        let id = db
            .create_file_in(&mut row, epoch)
            .map_err(std::io::Error::other)?;
        let path = root.join(&row.rel_path);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        file.write_all(init)?;
        file.sync_data()?;
        File::open(&dir)?.sync_all()?;
        counters
            .video_bytes
            .fetch_add(init.len() as u64, Ordering::Relaxed);
        counters.files_created.fetch_add(1, Ordering::Relaxed);
        Ok(Self {
            id,
            row,
            path,
            file,
            len_bytes: init.len() as u64,
            prealloc_end: 0,
            prealloc_step: crate::fsutil::fs_usage(&dir)
                .map(|u| prealloc_step_bytes(u.total_bytes))
                .unwrap_or(1 << 20),
            last_sync: Instant::now(),
            opened: Instant::now(),
            counters,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one fragment (its parts in order) with vectored writes; syncs when
    /// `sync_interval` has passed. Returns the bytes appended.
    pub fn append(&mut self, parts: &[&[u8]], sync_interval: Duration) -> std::io::Result<u64> {
        let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
        let end = self.len_bytes + total;
        if end > self.prealloc_end {
            let target = end.div_ceil(self.prealloc_step) * self.prealloc_step;
            // Best effort: not every filesystem supports it.
            let _ = rustix::fs::fallocate(
                &self.file,
                rustix::fs::FallocateFlags::KEEP_SIZE,
                self.len_bytes,
                target - self.len_bytes,
            );
            self.prealloc_end = target;
        }
        write_all_vectored_at(&self.file, parts, self.len_bytes)?;
        self.len_bytes = end;
        self.counters
            .video_bytes
            .fetch_add(total, Ordering::Relaxed);
        if self.last_sync.elapsed() >= sync_interval {
            self.sync()?;
        }
        Ok(total)
    }

    pub fn sync(&mut self) -> std::io::Result<()> {
        self.file.sync_data()?;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Final sync; releases the preallocated tail.
    pub fn seal(mut self) -> std::io::Result<u64> {
        self.file.set_len(self.len_bytes)?;
        self.sync()?;
        Ok(self.id)
    }
}

/// pwritev until every part is written (short writes resume where they stopped).
fn write_all_vectored_at(file: &File, parts: &[&[u8]], mut offset: u64) -> std::io::Result<()> {
    let mut idx = 0;
    let mut skip = 0usize;
    while idx < parts.len() {
        let slices: Vec<std::io::IoSlice<'_>> = parts[idx..]
            .iter()
            .enumerate()
            .map(|(i, p)| std::io::IoSlice::new(if i == 0 { &p[skip..] } else { p }))
            .take(1024)
            .collect();
        let mut n = rustix::io::pwritev(file, &slices, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        offset += n as u64;
        while idx < parts.len() && n > 0 {
            let left = parts[idx].len() - skip;
            if n >= left {
                n -= left;
                idx += 1;
                skip = 0;
            } else {
                skip += n;
                n = 0;
            }
        }
        while idx < parts.len() && parts[idx].len() == skip {
            idx += 1;
            skip = 0;
        }
    }
    Ok(())
}

/// Frees the blocks of `[offset, offset+len)` without changing the file size.
pub fn punch_hole(path: &Path, offset: u64, len: u64) -> std::io::Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    rustix::fs::fallocate(
        &f,
        rustix::fs::FallocateFlags::PUNCH_HOLE | rustix::fs::FallocateFlags::KEEP_SIZE,
        offset,
        len,
    )?;
    Ok(())
}
