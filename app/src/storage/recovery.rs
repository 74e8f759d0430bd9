//! Crash recovery at start: for every media file not sealed, index every complete fragment
//! after the last indexed recording, truncate a torn tail, and seal the file. A file that
//! vanished or never got its init segment is sealed empty.

use crate::db::{Db, FileRow, IndexOp, RecordingRow};
use crate::media::fmp4::{self, FragmentInfo};
use crate::media::timebase::ticks_90k_to_ns;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Largest moof we accept when scanning (ours are a few KiB).
const MAX_MOOF_BYTES: u64 = 4 << 20;

/// Scans `file` from `offset` and returns the complete fragments and where they end.
pub fn scan_fragments(file: &File, mut offset: u64, file_len: u64) -> (Vec<FragmentInfo>, u64) {
    let mut out = Vec::new();
    let mut head = [0u8; 16];
    loop {
        if offset + 8 > file_len || file.read_exact_at(&mut head[..8], offset).is_err() {
            break;
        }
        let Some((kind, moof_len, _)) = fmp4::box_header(&head) else {
            break;
        };
        if &kind != b"moof"
            || !(16..=MAX_MOOF_BYTES).contains(&moof_len)
            || offset + moof_len + 8 > file_len
        {
            break;
        }
        let mdat_at = offset + moof_len;
        if file.read_exact_at(&mut head[..8], mdat_at).is_err() {
            break;
        }
        let Some((mkind, mdat_len, _)) = fmp4::box_header(&head) else {
            break;
        };
        if &mkind != b"mdat" || mdat_len < 8 || mdat_at + mdat_len > file_len {
            break;
        }
        let mut moof = vec![0u8; moof_len as usize];
        if file.read_exact_at(&mut moof, offset).is_err() {
            break;
        }
        match fmp4::parse_moof(&moof, offset, moof_len + mdat_len) {
            Ok(info) => out.push(info),
            Err(_) => break,
        }
        offset = mdat_at + mdat_len;
    }
    (out, offset)
}

/// Groups recovered fragments into recordings of about `segment_ns`, cut at key frames.
pub fn group(
    camera_id: &str,
    file_id: u64,
    file: &FileRow,
    frags: &[FragmentInfo],
    mut wall_ns: i64,
    mut media_90k: i64,
    segment_ns: i64,
) -> Vec<RecordingRow> {
    let mut out: Vec<RecordingRow> = Vec::new();
    for f in frags {
        let start = f.video_decode_time as i64;
        let end = start + f.video_duration as i64;
        let cut = out.last().is_none_or(|r| {
            f.starts_with_sync && ticks_90k_to_ns(r.media_end_90k - r.media_start_90k) >= segment_ns
        });
        if cut {
            // Wall time follows media time from the last known point (no slew here).
            wall_ns += ticks_90k_to_ns(start - media_90k);
            media_90k = start;
            out.push(RecordingRow {
                camera_id: camera_id.to_string(),
                file_id,
                byte_start: f.offset,
                byte_end: f.offset,
                media_start_90k: start,
                media_end_90k: start,
                start_wall_ns: wall_ns,
                duration_ns: 0,
                frame_count: 0,
                format: file.format.clone(),
                width: file.width,
                height: file.height,
                merged: false,
                recovered: true,
            });
        }
        let r = out.last_mut().expect("a recording");
        r.byte_end = f.offset + f.len;
        r.media_end_90k = end;
        r.duration_ns = ticks_90k_to_ns(end - r.media_start_90k);
        r.frame_count += f.video_frames as u64;
    }
    out
}

/// Recovers every unsealed file; returns how many recordings were added.
pub fn recover(db: &Db, root: &Path, segment_ns: i64) -> Result<usize, crate::db::DbError> {
    let mut added = 0;
    for (id, row) in db.files()? {
        if !row.sealed {
            added += recover_file(db, root, id, &row, segment_ns)?;
        }
    }
    Ok(added)
}

/// Indexes the complete fragments of one unsealed file after what is indexed, truncates a
/// torn tail, and seals it; returns how many recordings were added.
pub fn recover_file(
    db: &Db,
    root: &Path,
    id: u64,
    row: &FileRow,
    segment_ns: i64,
) -> Result<usize, crate::db::DbError> {
    let mut added = 0;
    {
        let path = root.join(&row.rel_path);
        let mut ops = Vec::new();
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
        {
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "media file missing; sealing it empty")
            }
            Ok(file) => {
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                let last = db.last_recording_of_file(&row.camera_id, id)?;
                let mut resume = match &last {
                    Some(r) => (r.byte_end, r.end_wall_ns(), r.media_end_90k),
                    None => (row.init_len, row.start_wall_ns, 0),
                };
                // Recordings deleted from this file (retention) may have been the newest.
                if let Some(t) = db.file_tail(id)?
                    && t.byte_end > resume.0
                {
                    resume = (t.byte_end, t.end_wall_ns, t.media_end_90k);
                }
                let (start_at, wall, media) = resume;
                let (frags, good_end) = if len >= row.init_len {
                    scan_fragments(&file, start_at, len)
                } else {
                    (Vec::new(), 0)
                };
                let truncate_to = if len >= row.init_len {
                    good_end.max(start_at)
                } else {
                    0
                };
                if truncate_to < len {
                    tracing::warn!(file = %path.display(), from = len, to = truncate_to, "truncating a torn tail");
                    if let Err(e) = file.set_len(truncate_to).and_then(|()| file.sync_all()) {
                        tracing::error!(file = %path.display(), error = %e, "truncate failed");
                    }
                }
                let recs = group(&row.camera_id, id, row, &frags, wall, media, segment_ns);
                added += recs.len();
                if !recs.is_empty() {
                    tracing::info!(file = %path.display(), recordings = recs.len(), "recovered fragments after a crash");
                }
                ops.extend(recs.into_iter().map(IndexOp::InsertRecording));
            }
        }
        ops.push(IndexOp::SealFile(id));
        db.apply(&ops)?;
    }
    Ok(added)
}
