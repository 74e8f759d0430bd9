//! The segmenter: one task per live camera turns hub events into the HLS window. It starts
//! from the hub's buffered GOP, so the first segment is ready at once: it is cut at the live
//! edge as soon as it holds half a second. Later segments start at key frames once they are
//! 1 s long (forced at 2.5 s for long GOPs); parts (LL-HLS) are cut every ~200 ms and
//! published as soon as the frame after them arrives, so their durations are exact. A
//! reconnect, a parameter change or a lagging receiver starts a new segment with a
//! discontinuity, from the next key frame.

use super::LiveShared;
use super::fps::{FpsCap, is_disposable};
use super::segment::{Container, Part, PartAudio, PartFrame, PartMuxer, Segment};
use crate::media::{MediaEvent, StreamParams};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

const FIRST_SEGMENT_90K: i64 = 45_000;
const SEGMENT_MIN_90K: i64 = 90_000;
const SEGMENT_MAX_90K: i64 = 225_000;
const PART_TARGET_90K: u64 = 18_000;
/// A frame interval outside (0, 5 s] is a jump, not a duration.
const MAX_FRAME_90K: i64 = 450_000;

/// The segment being built.
#[derive(Clone, Copy)]
struct OpenSegment {
    msn: u64,
    start_pts_90k: i64,
    parts: usize,
    published_90k: u64,
}

struct Builder {
    shared: Arc<LiveShared>,
    muxer: Option<PartMuxer>,
    h265: bool,
    audio_clock: u32,
    init_gen: u32,
    fps: FpsCap,
    frames: Vec<PartFrame>,
    audio: Vec<PartAudio>,
    open: Option<OpenSegment>,
    next_msn: u64,
    first_segment: bool,
    discontinuity: bool,
    waiting_key: bool,
    last_dur_90k: u32,
}

/// Runs until the hub closes (the camera's pipeline went away).
pub async fn run(
    shared: Arc<LiveShared>,
    params: Option<Arc<StreamParams>>,
    replay: Vec<MediaEvent>,
    mut rx: broadcast::Receiver<MediaEvent>,
    max_fps: u32,
) {
    let mut b = Builder {
        shared,
        muxer: None,
        h265: false,
        audio_clock: 1,
        init_gen: 0,
        fps: FpsCap::new(max_fps),
        frames: Vec::new(),
        audio: Vec::new(),
        open: None,
        next_msn: 0,
        first_segment: true,
        discontinuity: false,
        waiting_key: true,
        last_dur_90k: 0,
    };
    if let Some(p) = params {
        b.set_params(&p, false);
    }
    for ev in replay {
        b.on_event(ev, false);
    }
    b.at_live_edge();
    let reason = loop {
        match rx.recv().await {
            Ok(ev) => {
                b.on_event(ev, true);
            }
            Err(RecvError::Lagged(n)) => {
                tracing::debug!(camera = %b.shared.camera_id, skipped = n, "live segmenter lagged");
                b.close_segment();
                b.discontinuity = true;
                b.waiting_key = true;
            }
            Err(RecvError::Closed) => break "the camera connection closed",
        }
    };
    b.close_segment();
    b.shared.end(reason);
}

impl Builder {
    fn set_params(&mut self, p: &StreamParams, discontinuity: bool) {
        self.close_segment();
        match PartMuxer::new(p) {
            Ok((muxer, init)) => {
                self.muxer = Some(muxer);
                self.h265 = p.format == "h265";
                self.audio_clock = p.audio.as_ref().map_or(1, |a| a.timescale.max(1));
                self.init_gen += u32::from(init.is_some());
                let generation = self.init_gen;
                // Live HLS carries AAC only (G.711 is stored as PCM, which players lack).
                let codecs = match &p.audio_config {
                    Some(_) => format!("{},mp4a.40.2", p.video_codec),
                    None => p.video_codec.clone(),
                };
                self.shared.update(|w| {
                    let container = Container::for_format(p.format);
                    if w.container != container {
                        w.segments.clear();
                        w.container = container;
                    }
                    w.codecs = codecs;
                    if let Some(init) = init {
                        w.inits.push((generation, init));
                    }
                });
            }
            Err(e) => {
                tracing::warn!(camera = %self.shared.camera_id, error = %e, "live muxer");
                self.muxer = None;
            }
        }
        self.discontinuity |= discontinuity;
        self.waiting_key = true;
    }

    fn on_event(&mut self, ev: MediaEvent, live: bool) {
        match ev {
            MediaEvent::SessionStart(p) => self.set_params(&p, true),
            MediaEvent::Params(p) => self.set_params(&p, true),
            MediaEvent::SessionEnd => {
                self.close_segment();
                self.discontinuity = true;
                self.waiting_key = true;
            }
            MediaEvent::Audio(a) => {
                if self.open.is_some() {
                    self.audio.push(PartAudio {
                        pts_90k: a.pts * 90_000 / self.audio_clock as i64,
                        pts: a.pts,
                        duration: a.duration,
                        data: a.data.clone(),
                    });
                }
            }
            MediaEvent::Video(f) => {
                if self.muxer.is_none() || (self.waiting_key && !f.is_key) {
                    return;
                }
                let disposable = !f.is_key && is_disposable(&f.data, self.h265);
                if !self.fps.keep(f.pts_90k, f.is_key, disposable) {
                    return;
                }
                self.waiting_key = false;
                // The previous frame's true duration, now that this one is here. Frames stay
                // unpublished until then, so every published duration is exact.
                if let Some(prev) = self.frames.last_mut() {
                    let d = f.pts_90k - prev.pts_90k;
                    if d > 0 && d <= MAX_FRAME_90K {
                        prev.duration_90k = d as u32;
                        // The nominal interval: follows drops up only slowly.
                        let d = d as u32;
                        self.last_dur_90k = if d < self.last_dur_90k || self.last_dur_90k == 0 {
                            d
                        } else {
                            (self.last_dur_90k * 15 + d) / 16
                        };
                    }
                }
                if let Some(open) = self.open {
                    let seg_90k = f.pts_90k - open.start_pts_90k;
                    let part_90k: u64 = self.frames.iter().map(|f| f.duration_90k as u64).sum();
                    if (f.is_key && seg_90k >= SEGMENT_MIN_90K)
                        || seg_90k >= SEGMENT_MAX_90K
                        || !(0..=MAX_FRAME_90K * 4).contains(&seg_90k)
                        || (live
                            && self.first_segment
                            && (open.published_90k + part_90k) as i64 >= FIRST_SEGMENT_90K)
                    {
                        self.close_segment();
                    } else if part_90k >= PART_TARGET_90K {
                        self.flush_part();
                    }
                }
                if self.open.is_none() {
                    let msn = self.next_msn;
                    self.next_msn += 1;
                    self.open = Some(OpenSegment {
                        msn,
                        start_pts_90k: f.pts_90k,
                        parts: 0,
                        published_90k: 0,
                    });
                    let seg = Segment {
                        msn,
                        parts: Vec::new(),
                        complete: false,
                        discontinuity: std::mem::take(&mut self.discontinuity),
                        init_gen: self.init_gen,
                        start_wall_ns: f.received_wall_ns,
                    };
                    self.shared.update(|w| w.segments.push_back(seg));
                }
                // Its own duration is known when the next frame comes.
                self.frames.push(PartFrame {
                    pts_90k: f.pts_90k,
                    duration_90k: if self.last_dur_90k == 0 {
                        3_600
                    } else {
                        self.last_dur_90k
                    },
                    is_key: f.is_key,
                    data: f.data.clone(),
                });
            }
        }
    }

    /// After the replay of the buffered GOP: the first segment is cut at once when it is
    /// worth playing (its last frame's duration is the nominal interval, the one estimate).
    fn at_live_edge(&mut self) {
        let Some(open) = self.open else {
            return;
        };
        let pending_90k: u64 = self.frames.iter().map(|f| f.duration_90k as u64).sum();
        if self.first_segment && (open.published_90k + pending_90k) as i64 >= FIRST_SEGMENT_90K {
            self.close_segment();
        }
    }

    fn flush_part(&mut self) {
        let Some(mut open) = self.open else {
            self.frames.clear();
            self.audio.clear();
            return;
        };
        if self.frames.is_empty() {
            return;
        }
        let Some(muxer) = self.muxer.as_mut() else {
            return;
        };
        let segment_start = open.parts == 0;
        let msn = open.msn;
        let frames = std::mem::take(&mut self.frames);
        let audio = std::mem::take(&mut self.audio);
        match muxer.mux(&frames, &audio, segment_start) {
            Ok(data) => {
                let part = Part {
                    data,
                    duration_90k: frames.iter().map(|f| f.duration_90k as u64).sum(),
                    independent: frames[0].is_key,
                };
                open.parts += 1;
                open.published_90k += part.duration_90k;
                self.open = Some(open);
                self.shared.update(|w| {
                    w.max_part_90k = w.max_part_90k.max(part.duration_90k);
                    if let Some(s) = w.segments.back_mut()
                        && s.msn == msn
                    {
                        s.parts.push(part);
                    }
                });
            }
            Err(e) => {
                tracing::warn!(camera = %self.shared.camera_id, error = %e, "live mux failed");
            }
        }
    }

    fn close_segment(&mut self) {
        self.flush_part();
        let Some(OpenSegment { msn, .. }) = self.open.take() else {
            return;
        };
        self.first_segment = false;
        self.shared.update(|w| {
            if let Some(s) = w.segments.back_mut()
                && s.msn == msn
            {
                if s.parts.is_empty() {
                    w.segments.pop_back();
                } else {
                    s.complete = true;
                }
            }
            w.trim();
        });
    }
}
