//! Crash recovery at start: for every media file not sealed, index every complete fragment
//! after the last indexed recording, truncate a torn tail, and seal the file. A file that
//! vanished or never got its init segment is sealed empty.

use crate::db::{Db, FileRow, IndexOp, RecordingRow};
use crate::media::fmp4::FragmentInfo;
use crate::media::timebase::ticks_90k_to_ns;
use std::fs::File;
use std::path::Path;

/// Scans `file` from `offset` and returns the complete fragments and where they end.
pub fn scan_fragments(file: &File, offset: u64, file_len: u64) -> (Vec<FragmentInfo>, u64) {
    let mut walk = super::fragments::walk(file, offset, file_len);
    let mut out = Vec::new();
    for r in walk.by_ref() {
        match r {
            Ok(f) => out.push(f.info),
            Err(e) => {
                tracing::debug!(error = %e, "fragment scan stopped");
                break;
            }
        }
    }
    (out, walk.offset())
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
                let last = db.last_recording_of_file(id)?;
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
                // A file made while the clock was untrusted keeps its recordings so marked
                // (their epoch is a dead process's: age retention must leave them alone).
                let epoch = db.untrusted_file_epoch(id)?;
                ops.extend(recs.into_iter().map(|row| match epoch {
                    Some(epoch) => IndexOp::InsertUntrusted { row, epoch },
                    None => IndexOp::InsertRecording(row),
                }));
            }
        }
        ops.push(IndexOp::SealFile(id));
        db.apply(&ops)?;
    }
    Ok(added)
}
