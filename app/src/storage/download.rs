//! Downloads: a recording is served as a standalone, seekable MP4 assembled on the fly from
//! its file's init segment and fragments — an init with the duration, a `sidx` indexing the
//! fragments, then the fragments with their decode times rebased to zero. Nothing is copied
//! on disk; the plan lists memory parts and file ranges so HTTP Range requests can be served.

use crate::db::{FileRow, RecordingRow};
use crate::media::fmp4;
use bytes::Bytes;
use std::fs::File;
use std::os::unix::fs::FileExt;

#[derive(Debug, Clone)]
pub enum Part {
    Mem(Bytes),
    File { offset: u64, len: u64 },
}

impl Part {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> u64 {
        match self {
            Part::Mem(b) => b.len() as u64,
            Part::File { len, .. } => *len,
        }
    }
}

#[derive(Debug)]
pub struct Plan {
    /// The media file, opened once when planning: reads use this handle, never the path,
    /// so a file unlinked meanwhile is still read whole (callers check the recording still
    /// exists after each read: see `api::recordings::download`).
    pub file: std::sync::Arc<File>,
    pub parts: Vec<Part>,
    pub len: u64,
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

/// Reads the recording's fragment headers and lays out the virtual file.
pub fn plan(
    root: &std::path::Path,
    file_row: &FileRow,
    rec: &RecordingRow,
) -> std::io::Result<Plan> {
    let file = File::open(root.join(&file_row.rel_path))?;
    if file_row.init_len > super::fragments::MAX_MOOF_BYTES {
        return Err(io_err("init segment too large"));
    }
    let mut init = vec![0u8; file_row.init_len as usize];
    file.read_exact_at(&mut init, 0)?;
    let (video, audio) = fmp4::parse_init(&init).map_err(io_err)?;
    let duration_ms = (rec.media_end_90k - rec.media_start_90k).max(0) as u64 / 90;
    let init = fmp4::init_segment(&video, audio.as_ref(), Some(duration_ms)).map_err(io_err)?;

    // Fragments: (rebased moof, mdat offset, mdat len, video duration, starts with sync).
    let mut frags = Vec::new();
    let mut shifts: Option<Vec<(u32, u64)>> = None;
    let mut seq = 0u32;
    for frag in super::fragments::walk(&file, rec.byte_start, rec.byte_end) {
        let frag = frag?;
        let shifts =
            shifts.get_or_insert_with(|| fmp4::decode_times(&frag.moof).unwrap_or_default());
        seq += 1;
        let rebased = fmp4::rebase_moof(&frag.moof, seq, |track| {
            shifts
                .iter()
                .find(|(t, _)| *t == track)
                .map(|(_, s)| *s)
                .unwrap_or(0)
        })
        .map_err(io_err)?;
        frags.push((
            rebased,
            frag.mdat_offset,
            frag.mdat_len,
            frag.info.video_duration,
            frag.info.starts_with_sync,
        ));
    }
    let refs: Vec<(u32, u32, bool)> = frags
        .iter()
        .map(|(m, _, l, d, s)| {
            Ok((
                u32::try_from(m.len() as u64 + l).map_err(|_| io_err("fragment too large"))?,
                u32::try_from(*d).map_err(|_| io_err("fragment too long"))?,
                *s,
            ))
        })
        .collect::<std::io::Result<_>>()?;
    let sidx = fmp4::sidx(fmp4::VIDEO_TIMESCALE, 0, &refs).map_err(io_err)?;
    let mut parts = vec![Part::Mem(Bytes::from(init)), Part::Mem(Bytes::from(sidx))];
    for (moof, mdat_at, mdat_len, _, _) in frags {
        parts.push(Part::Mem(Bytes::from(moof)));
        parts.push(Part::File {
            offset: mdat_at,
            len: mdat_len,
        });
    }
    let len = parts.iter().map(Part::len).sum();
    Ok(Plan {
        file: std::sync::Arc::new(file),
        parts,
        len,
    })
}

/// Reads `[start, end)` of the virtual file.
pub fn read_range(plan: &Plan, start: u64, end: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity((end - start) as usize);
    let mut pos = 0u64;
    for part in &plan.parts {
        let (p_start, p_end) = (pos, pos + part.len());
        pos = p_end;
        if p_end <= start || p_start >= end {
            continue;
        }
        let from = start.max(p_start) - p_start;
        let to = end.min(p_end) - p_start;
        match part {
            Part::Mem(b) => out.extend_from_slice(&b[from as usize..to as usize]),
            Part::File { offset, .. } => {
                let mut buf = vec![0u8; (to - from) as usize];
                plan.file.read_exact_at(&mut buf, offset + from)?;
                out.extend_from_slice(&buf);
            }
        }
    }
    Ok(out)
}
