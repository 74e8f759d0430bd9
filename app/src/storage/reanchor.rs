//! Re-anchoring on disk: once the clock is trusted, an untrusted epoch's recordings and
//! files move to their real times (db::clock rewrites the index) and its media files are
//! renamed to match. Renames are recorded in the index before they happen, so a power cut
//! in between is finished at the next start; the orphan sweep is held off meanwhile.

use crate::clock::Correction;
use crate::db::{Db, DbError, Rename};
use crate::sync::LockExt;
use std::path::Path;
use std::sync::Mutex;

/// Applies one correction: index first, then the renames. Blocking.
pub fn apply(db: &Db, root: &Path, io: &Mutex<()>, c: Correction) -> Result<usize, DbError> {
    let _io = io.locked();
    let renames = db.reanchor(c.epoch, c.delta_ns)?;
    let n = renames.len();
    for r in renames {
        finish(db, root, &r)?;
    }
    tracing::info!(
        shift_s = c.delta_ns / 1_000_000_000,
        files = n,
        "recordings made before the clock was set now carry their real times"
    );
    Ok(n)
}

/// Renames left over by a crash (at start, before recovery and the sweep).
pub fn finish_pending(db: &Db, root: &Path) -> Result<usize, DbError> {
    let pending = db.pending_renames()?;
    for r in &pending {
        finish(db, root, r)?;
    }
    Ok(pending.len())
}

fn finish(db: &Db, root: &Path, r: &Rename) -> Result<(), DbError> {
    let (from, to) = (root.join(&r.from), root.join(&r.to));
    if from.exists() && !to.exists() {
        match std::fs::rename(&from, &to) {
            Ok(()) => {
                if let Some(dir) = to.parent()
                    && let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all())
                {
                    tracing::warn!(dir = %dir.display(), error = %e, "fsync after a rename failed");
                }
            }
            Err(e) => {
                // The index already names `to`: the sweep drops its rows and adopts `from`
                // (under its own name) rather than lose it.
                tracing::error!(from = %from.display(), to = %to.display(), error = %e, "renaming a re-anchored media file failed");
            }
        }
    }
    db.rename_done(r.file_id)
}
