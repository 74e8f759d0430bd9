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

pub fn list(
    root: &std::path::Path,
    file_row: &FileRow,
    rec: &RecordingRow,
) -> std::io::Result<Vec<FrameRef>> {
    let file = File::open(root.join(&file_row.rel_path))?;
    let mut out = Vec::new();
    let mut head = [0u8; 8];
    let mut offset = rec.byte_start;
    let mut t_90k = 0u64;
    while offset < rec.byte_end {
        file.read_exact_at(&mut head, offset)?;
        let (kind, moof_len, _) = fmp4::box_header(&head).ok_or_else(|| invalid("bad box"))?;
        if &kind != b"moof" {
            return Err(invalid(format!("expected moof at {offset}")));
        }
        let mut moof = vec![0u8; moof_len as usize];
        file.read_exact_at(&mut moof, offset)?;
        file.read_exact_at(&mut head, offset + moof_len)?;
        let (_, mdat_len, _) = fmp4::box_header(&head).ok_or_else(|| invalid("bad box"))?;
        for (rel, size, duration) in fmp4::video_samples(&moof).map_err(invalid)? {
            out.push(FrameRef {
                offset: offset + rel,
                size,
                offset_90k: t_90k,
            });
            t_90k += duration as u64;
        }
        offset += moof_len + mdat_len;
    }
    Ok(out)
}

pub fn read(
    root: &std::path::Path,
    file_row: &FileRow,
    frame: &FrameRef,
) -> std::io::Result<Vec<u8>> {
    let file = File::open(root.join(&file_row.rel_path))?;
    let mut buf = vec![0u8; frame.size as usize];
    file.read_exact_at(&mut buf, frame.offset)?;
    Ok(buf)
}
