//! Keeping the index and the disk in agreement: media files on disk that the index does not
//! know (after a restore from an older backup, or a crash between index and disk changes) are
//! adopted when they hold valid fMP4 (indexed like crash recovery does: nothing recorded is
//! dropped) and removed otherwise; sealed files the index knows but the disk lost take their
//! recordings with them; sealed files left without recordings are removed.

use super::fragments::fragment_at;
use crate::db::{Db, DbError, FileRow};
use crate::media::fmp4;
use crate::sync::LockExt;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

/// Recordings read at once when walking one file's (check, reconciliation).
const PAGE_ROWS: usize = 4096;

/// Largest init segment we accept when adopting a file.
const MAX_INIT_BYTES: usize = 1 << 20;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SweepReport {
    pub adopted_files: u64,
    pub adopted_recordings: u64,
    pub removed_files: u64,
    pub dropped_recordings: u64,
}

/// Media files under `root`: `<camera>/<name>.mp4`, as paths relative to `root`.
fn media_files_on_disk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(cams) = std::fs::read_dir(root) else {
        return out;
    };
    for cam in cams.flatten() {
        if !cam.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(files) = std::fs::read_dir(cam.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            if name.ends_with(".mp4") && f.file_type().is_ok_and(|t| t.is_file()) {
                out.push(format!("{}/{}", cam.file_name().to_string_lossy(), name));
            }
        }
    }
    out
}

/// One pass over the disk and the index (see the module comment). Blocking. `io` is the
/// storage's lock (`Reclaimer::io_lock`): deletions and renames take it too, so a file
/// unlinked after the listing, or renamed, is never mistaken for an orphan and adopted.
pub fn sweep(
    db: &Db,
    root: &Path,
    segment_ns: i64,
    io: &std::sync::Mutex<()>,
) -> Result<SweepReport, DbError> {
    let _guard = io.locked();
    let mut report = SweepReport::default();
    // The listing comes first: a file on disk has had its row committed before it was
    // created, so a file listed here and absent from the later snapshot is a real orphan.
    let on_disk = media_files_on_disk(root);
    let files = db.files()?;
    let known: HashSet<&str> = files.iter().map(|(_, f)| f.rel_path.as_str()).collect();
    for rel in on_disk.iter().filter(|r| !known.contains(r.as_str())) {
        let path = root.join(rel);
        match adopt(db, root, rel, segment_ns) {
            Ok(n) => {
                tracing::warn!(file = %path.display(), recordings = n, "adopted a media file the index did not know");
                report.adopted_files += 1;
                report.adopted_recordings += n as u64;
            }
            Err(why) => {
                tracing::warn!(file = %path.display(), %why, "removing an unreadable media file the index did not know");
                if std::fs::remove_file(&path).is_ok() {
                    report.removed_files += 1;
                }
            }
        }
    }
    let on_disk: HashSet<&str> = on_disk.iter().map(|s| s.as_str()).collect();
    for (id, f) in &files {
        if !f.sealed {
            continue; // being written (or recovered at the next start)
        }
        let path = root.join(&f.rel_path);
        let present = on_disk.contains(f.rel_path.as_str()) || path.exists();
        if !present {
            let ids = db.file_recording_ids(*id)?;
            if !ids.is_empty() {
                tracing::warn!(file = %path.display(), recordings = ids.len(), "media file missing: dropping its recordings from the index");
            }
            report.dropped_recordings += db.delete_recordings(&ids)?.len() as u64;
            db.remove_file_row(*id)?;
        } else if db.file_recording_count(*id)? == 0
            && db.remove_file_row(*id)?
            && std::fs::remove_file(&path).is_ok()
        {
            report.removed_files += 1;
        }
    }
    Ok(report)
}

/// After a restore: recordings whose bytes are gone (deleted since the backup: their range
/// was hole-punched or their file removed) leave the index, and files recorded since the
/// backup are adopted. Blocking; works file by file (memory bounded by one file's rows).
pub fn reconcile_after_restore(
    db: &Db,
    root: &Path,
    segment_ns: i64,
    io: &std::sync::Mutex<()>,
) -> Result<SweepReport, DbError> {
    let mut dropped = 0u64;
    let mut after = 0u64;
    loop {
        let page = db.files_page(after, 256)?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (fid, f) in &page {
            let file = std::fs::File::open(root.join(&f.rel_path)).ok();
            let mut from = 0;
            loop {
                let rows = db.file_recordings(*fid, from, PAGE_ROWS)?;
                let Some((_, last)) = rows.last() else { break };
                from = last.byte_start + 1;
                let hollow: Vec<u64> = rows
                    .iter()
                    .filter(|(_, r)| !file.as_ref().is_some_and(|f| fragment_at(f, r.byte_start)))
                    .map(|(id, _)| *id)
                    .collect();
                if !hollow.is_empty() {
                    dropped += db.delete_recordings(&hollow)?.len() as u64;
                }
            }
        }
    }
    let mut report = sweep(db, root, segment_ns, io)?;
    report.dropped_recordings += dropped;
    Ok(report)
}

/// `mibee-nvr check`: the index and the disk agree. Every sealed file the index knows
/// exists and is long enough for its recordings; every recording starts with a `moof` box
/// on disk; every media file on disk is known to the index. Returns a summary. Works file by
/// file (memory bounded by one file's rows).
pub fn verify(db: &Db, root: &Path) -> Result<String, String> {
    let err = |e: DbError| e.to_string();
    let mut after = 0u64;
    let mut known: HashSet<String> = HashSet::new();
    let mut recordings = 0u64;
    loop {
        let page = db.files_page(after, 256).map_err(err)?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (fid, f) in &page {
            known.insert(f.rel_path.clone());
            let path = root.join(&f.rel_path);
            let mut rows = db.file_recordings(*fid, 0, PAGE_ROWS).map_err(err)?;
            let file = match std::fs::File::open(&path) {
                Ok(file) => file,
                Err(_) if !f.sealed && rows.is_empty() => continue, // being created
                Err(e) => return Err(format!("{}: {e}", path.display())),
            };
            let len = file.metadata().map_err(|e| e.to_string())?.len();
            while let Some((_, last)) = rows.last() {
                let from = last.byte_start + 1;
                for (id, r) in &rows {
                    recordings += 1;
                    if r.byte_end > len {
                        return Err(format!(
                            "recording {id}: beyond the end of {}",
                            path.display()
                        ));
                    }
                    if !fragment_at(&file, r.byte_start) {
                        return Err(format!(
                            "recording {id}: no fragment at byte {} of {}",
                            r.byte_start,
                            path.display()
                        ));
                    }
                }
                rows = db.file_recordings(*fid, from, PAGE_ROWS).map_err(err)?;
            }
        }
    }
    let on_disk = media_files_on_disk(root);
    if let Some(stray) = on_disk.iter().find(|r| !known.contains(r.as_str())) {
        return Err(format!("{stray}: on disk but not in the index"));
    }
    Ok(format!(
        "{} media files and {recordings} recordings agree with the disk",
        on_disk.len()
    ))
}

/// Indexes a media file found on disk: its init segment gives codec and size, the name
/// its start time; its fragments are grouped into recordings as crash recovery does.
pub fn adopt(db: &Db, root: &Path, rel: &str, segment_ns: i64) -> Result<usize, String> {
    let (camera_id, name) = rel.split_once('/').ok_or("not <camera>/<file>")?;
    if !crate::config::valid_camera_id(camera_id) {
        return Err("not a camera directory".into());
    }
    let mut head = Vec::new();
    std::fs::File::open(root.join(rel))
        .and_then(|f| f.take(MAX_INIT_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| e.to_string())?;
    let init_len = init_segment_len(&head).ok_or("no complete init segment")?;
    let (video, _) = fmp4::parse_init(&head[..init_len]).map_err(|e| e.to_string())?;
    let format = match video.sample_entry.get(4..8) {
        Some(b"avc1") | Some(b"avc3") => "h264",
        Some(b"hvc1") | Some(b"hev1") => "h265",
        _ => return Err("unknown video codec".into()),
    };
    let start_wall_ns = parse_stamp(name).ok_or("file name carries no start time")?;
    let (width, height) = video.video_size.unwrap_or((0, 0));
    let row = FileRow {
        camera_id: camera_id.to_string(),
        rel_path: rel.to_string(),
        init_len: init_len as u64,
        start_wall_ns,
        start_media_90k: 0,
        sealed: false,
        format: format.to_string(),
        width,
        height,
    };
    let id = db.adopt_file_row(&row).map_err(|e| e.to_string())?;
    super::recovery::recover_file(db, root, id, &row, segment_ns).map_err(|e| e.to_string())
}

/// Length of the ftyp + moov at the start of `head`.
pub(crate) fn init_segment_len(head: &[u8]) -> Option<usize> {
    let (k1, l1, _) = fmp4::box_header(head)?;
    let l1 = usize::try_from(l1).ok()?;
    let (k2, l2, _) = fmp4::box_header(head.get(l1..)?)?;
    let end = l1.checked_add(usize::try_from(l2).ok()?)?;
    (&k1 == b"ftyp" && &k2 == b"moov" && end <= head.len()).then_some(end)
}

/// `YYYYMMDD-HHMMSS-<id>.mp4` → Unix ns (UTC).
fn parse_stamp(name: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let dt = time::PrimitiveDateTime::parse(name.get(..15)?, &fmt).ok()?;
    Some(dt.assume_utc().unix_timestamp_nanos() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip() {
        let ns = 1_764_000_000_000_000_000i64;
        let name = format!("{}-7.mp4", crate::media::compact_stamp(ns));
        assert_eq!(parse_stamp(&name), Some(ns));
        assert_eq!(parse_stamp("garbage.mp4"), None);
    }
}

#[cfg(test)]
mod sweep_tests {
    use super::*;
    use crate::db::{IndexOp, RecordingRow};

    fn row(cam: &str, sealed: bool) -> FileRow {
        FileRow {
            camera_id: cam.into(),
            rel_path: format!("{cam}/20261126-080000"),
            init_len: 100,
            start_wall_ns: 1,
            start_media_90k: 0,
            sealed,
            format: "h264".into(),
            width: 1,
            height: 1,
        }
    }

    #[test]
    fn sweep_removes_strays_and_drops_rows_without_data() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        // A sealed file whose data vanished, with a recording.
        let mut gone = row("a", true);
        let gone_id = db.create_file(&mut gone).unwrap();
        db.apply(&[IndexOp::InsertRecording(RecordingRow {
            camera_id: "a".into(),
            file_id: gone_id,
            byte_start: 100,
            byte_end: 200,
            media_start_90k: 0,
            media_end_90k: 90_000,
            start_wall_ns: 5,
            duration_ns: 1_000_000_000,
            frame_count: 15,
            format: "h264".into(),
            width: 1,
            height: 1,
            merged: false,
            recovered: false,
        })])
        .unwrap();
        // A sealed file on disk with no recordings left.
        let mut empty = row("b", true);
        let empty_id = db.create_file(&mut empty).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join(&empty.rel_path), b"x").unwrap();
        // An unsealed file being written: left alone.
        let mut open = row("c", false);
        db.create_file(&mut open).unwrap();
        // A stray file that is not fMP4.
        std::fs::create_dir_all(root.join("d")).unwrap();
        std::fs::write(root.join("d/20261126-080000-99.mp4"), b"garbage").unwrap();
        let r = sweep(&db, &root, 30_000_000_000, &Default::default()).unwrap();
        assert_eq!(r.dropped_recordings, 1);
        assert_eq!(r.removed_files, 2, "{r:?}");
        assert_eq!(r.adopted_files, 0);
        assert!(db.file(gone_id).unwrap().is_none());
        assert!(db.file(empty_id).unwrap().is_none());
        assert!(!root.join(&empty.rel_path).exists());
        assert!(!root.join("d/20261126-080000-99.mp4").exists());
        assert_eq!(db.files().unwrap().len(), 1, "the open file stays");
        db.check().unwrap();
    }
}
