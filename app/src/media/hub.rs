//! The per-camera hub: one camera connection, many consumers. The session publishes media
//! events (after handing them to the recorder inline); consumers (live view, snapshots)
//! subscribe. It keeps the parameters and
//! the current GOP so a new consumer can start at once from the last key frame. Buffers are
//! bounded: a consumer that falls behind loses events (it resynchronises at the next key
//! frame) and never slows the publisher.

use super::{MediaEvent, StreamParams};
use crate::sync::LockExt;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Events buffered before a consumer that has not read them is considered lagging: ~20 s of
/// 25 fps video, ~7 s with audio. While any consumer is behind, the channel holds up to this
/// many events (at 4 Mbit/s, ~5 MiB per camera without audio), so it stays small; a lagging
/// consumer resynchronises at the next key frame.
pub const HUB_CAPACITY: usize = 512;
/// Bound on the frames kept for late joiners (a very long GOP is cut).
const MAX_GOP_FRAMES: usize = 600;

pub struct Hub {
    tx: broadcast::Sender<MediaEvent>,
    state: Mutex<HubState>,
}

#[derive(Default)]
struct HubState {
    params: Option<Arc<StreamParams>>,
    /// Since the last key frame (inclusive), in order.
    gop: Vec<MediaEvent>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(HUB_CAPACITY);
        Self {
            tx,
            state: Mutex::new(HubState::default()),
        }
    }

    pub fn publish(&self, ev: MediaEvent) {
        {
            let mut st = self.state.locked();
            match &ev {
                MediaEvent::SessionStart(p) | MediaEvent::Params(p) => {
                    st.params = Some(p.clone());
                    if matches!(ev, MediaEvent::SessionStart(_)) {
                        st.gop.clear();
                    }
                }
                MediaEvent::Video(f) => {
                    if f.is_key {
                        st.gop.clear();
                    }
                    if (!st.gop.is_empty() || f.is_key) && st.gop.len() < MAX_GOP_FRAMES {
                        st.gop.push(ev.clone());
                    }
                }
                MediaEvent::Audio(_) => {
                    if !st.gop.is_empty() && st.gop.len() < MAX_GOP_FRAMES {
                        st.gop.push(ev.clone());
                    }
                }
                MediaEvent::SessionEnd => {
                    st.params = None;
                    st.gop.clear();
                }
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(ev);
    }

    /// Subscribes; returns the current parameters and buffered GOP to replay first.
    pub fn subscribe(
        &self,
    ) -> (
        Option<Arc<StreamParams>>,
        Vec<MediaEvent>,
        broadcast::Receiver<MediaEvent>,
    ) {
        let st = self.state.locked();
        let rx = self.tx.subscribe();
        (st.params.clone(), st.gop.clone(), rx)
    }

    pub fn consumers(&self) -> usize {
        self.tx.receiver_count()
    }
}
