//! The frames of a recording (MJPEG: each sample a complete JPEG), located in its media file
//! by walking the recording's fragments: where each frame's bytes are and when it starts.

use crate::db::{FileRow, RecordingRow};
use crate::media::fmp4;
use std::fs::File;
use std::os::unix::fs::FileExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef {
    /// Absolute offset in the media file.
    pub offset: u64,
    pub size: u32,
    /// From the recording's start, 90 kHz.
    pub offset_90k: u64,
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

/// The recording's frames, and the open media file to read them from (by handle: a file
/// unlinked meanwhile still reads whole; callers check the recording still exists after).
pub fn list(
    root: &std::path::Path,
    file_row: &FileRow,
    rec: &RecordingRow,
) -> std::io::Result<(File, Vec<FrameRef>)> {
    let file = File::open(root.join(&file_row.rel_path))?;
    let mut out = Vec::new();
    let mut t_90k = 0u64;
    for frag in super::fragments::walk(&file, rec.byte_start, rec.byte_end) {
        let frag = frag?;
        for (rel, size, duration) in fmp4::video_samples(&frag.moof).map_err(invalid)? {
            out.push(FrameRef {
                offset: frag.info.offset + rel,
                size,
                offset_90k: t_90k,
            });
            t_90k += duration as u64;
        }
    }
    Ok((file, out))
}

/// One frame's bytes (`frame` comes from `list`, whose walk bounded it by its fragment).
pub fn read(file: &File, frame: &FrameRef) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; frame.size as usize];
    file.read_exact_at(&mut buf, frame.offset)?;
    Ok(buf)
}
