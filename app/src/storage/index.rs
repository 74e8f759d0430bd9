//! The index writer: recorders of every camera queue their index changes here, and one
//! task commits them to redb in batches (at most one commit per `COMMIT_INTERVAL`), so the
//! database is never what wears the card.

use crate::db::{Db, IndexOp};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub const COMMIT_INTERVAL: Duration = Duration::from_secs(2);
const MAX_BATCH: usize = 256;
/// Uncommitted changes kept for retry at most (a day of 8 cameras is ~25,000).
const MAX_RETAINED: usize = 100_000;

enum Msg {
    Op(IndexOp),
    /// Commit what is pending now, then answer.
    Flush(tokio::sync::oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct IndexSender(mpsc::UnboundedSender<Msg>);

impl IndexSender {
    pub fn send(&self, op: IndexOp) {
        if self.0.send(Msg::Op(op)).is_err() {
            tracing::error!(
                "index writer is gone; an index change was lost (recovery will redo it)"
            );
        }
    }

    /// Waits until everything sent so far is committed.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.0.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// Starts the writer; it ends (after a last commit) when every sender is dropped.
pub fn spawn_writer(db: Arc<Db>) -> (IndexSender, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let handle = tokio::spawn(async move {
        let mut batch = Vec::new();
        let mut waiters = Vec::new();
        while let Some(first) = rx.recv().await {
            match first {
                Msg::Op(op) => batch.push(op),
                Msg::Flush(w) => waiters.push(w),
            }
            let deadline = tokio::time::Instant::now() + COMMIT_INTERVAL;
            while batch.len() < MAX_BATCH && waiters.is_empty() {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(Msg::Op(op))) => batch.push(op),
                    Ok(Some(Msg::Flush(w))) => waiters.push(w),
                    Ok(None) | Err(_) => break,
                }
            }
            if !batch.is_empty() {
                // A failed commit (e.g. a full disk) is kept and retried with the next
                // batch; a failed transaction changes nothing, so a retry is exact.
                if let Err(ops) = commit(&db, std::mem::take(&mut batch)).await {
                    batch = ops;
                    if batch.len() > MAX_RETAINED {
                        tracing::error!(
                            dropped = batch.len(),
                            "index changes could not be committed for too long; recovery at the next start redoes them"
                        );
                        batch.clear();
                    }
                    tokio::time::sleep(COMMIT_INTERVAL).await;
                }
            }
            for w in waiters.drain(..) {
                let _ = w.send(());
            }
        }
    });
    (IndexSender(tx), handle)
}

/// Commits `ops`; gives them back when the commit failed.
async fn commit(db: &Arc<Db>, ops: Vec<IndexOp>) -> Result<(), Vec<IndexOp>> {
    let db = db.clone();
    let n = ops.len();
    match tokio::task::spawn_blocking(move || {
        let r = db.apply(&ops);
        (r, ops)
    })
    .await
    {
        Ok((Ok(_), _)) => {
            tracing::debug!(ops = n, "index commit");
            Ok(())
        }
        Ok((Err(e), ops)) => {
            tracing::error!(error = %e, ops = n, "index commit failed; retrying");
            Err(ops)
        }
        Err(e) => {
            tracing::error!(error = %e, "index commit task failed");
            Ok(())
        }
    }
}

/// Tests: an index sender whose changes the test applies itself.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub struct Collected(mpsc::UnboundedReceiver<Msg>);

    impl Collected {
        /// The changes sent so far, in order.
        pub fn ops(&mut self) -> Vec<IndexOp> {
            let mut out = Vec::new();
            while let Ok(m) = self.0.try_recv() {
                if let Msg::Op(op) = m {
                    out.push(op);
                }
            }
            out
        }
    }

    pub fn collecting() -> (IndexSender, Collected) {
        let (tx, rx) = mpsc::unbounded_channel();
        (IndexSender(tx), Collected(rx))
    }
}
