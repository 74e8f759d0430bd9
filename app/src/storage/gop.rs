//! The GOP assembler: runs inline in a camera's ingest task and turns the session's media
//! events into recorder jobs, one finished GOP (a future fragment) at a time, for the disk
//! writer's queue (`storage::writer`). It never touches the disk and never waits: when the
//! camera's share of the queue is full, whole GOPs are dropped, counted, and the recorder is
//! told to end its run there, so a stalled card costs a gap in the timeline, never a corrupt
//! file, a stalled camera or a frozen live view (design/storage.md, "Writing").

use super::writer::{CameraQueue, Job};
use crate::media::{AudioFrame, MediaEvent, VideoFrame};
use std::sync::Arc;

/// A GOP longer than this is cut early (bounded memory); the rest follows as a continuation.
pub const MAX_GOP_FRAMES: usize = 300;
pub const MAX_GOP_BYTES: usize = 16 << 20;
/// Audio frames held while a GOP is assembled: ~10 s of 20 ms G.711 frames. A camera whose
/// video stalls keeps sending audio; the oldest frames go first.
pub const MAX_AUDIO_FRAMES: usize = 512;
/// A jump of the video's presentation time beyond this within a session is an outage (the
/// camera's encoder paused): the run ends there instead of one frame lasting the outage.
pub const OUTAGE_90K: i64 = 5 * 90_000;

/// One GOP in decode order, with the audio that arrived while it was assembled.
#[derive(Debug)]
pub struct Gop {
    pub video: Vec<Arc<VideoFrame>>,
    pub audio: Vec<Arc<AudioFrame>>,
    /// False for the continuation of a GOP cut by the size bounds.
    pub starts_with_key: bool,
    /// The earliest presentation time of the GOP that follows (its key frame's, or its
    /// leading pictures' in an open GOP), when known: where this GOP's last frame ends.
    pub next_pts_90k: Option<i64>,
    pub bytes: usize,
}

pub struct GopAssembler {
    queue: CameraQueue,
    /// MJPEG: every frame is a key frame; frames are grouped into ~1 s fragments.
    intra_only: bool,
    video: Vec<Arc<VideoFrame>>,
    video_bytes: usize,
    starts_with_key: bool,
    audio: heapless::Deque<Arc<AudioFrame>, MAX_AUDIO_FRAMES>,
    /// Latest presentation time seen in this GOP run (B-frames go back, outages jump ahead).
    max_pts_90k: i64,
    /// A key frame arrived at `video[cut]`: the GOP before it is complete, but it is queued
    /// only once the next GOP's leading pictures (decoded after the key frame, shown before
    /// it: open GOPs) have arrived, so its last frame's end is known exactly.
    cut: Option<usize>,
    /// The earliest presentation time seen since the cut.
    next_min_pts_90k: i64,
    /// GOPs were dropped since the last one queued: the recorder ends its run first.
    broken: bool,
    /// `finish` ran (else dropping the assembler runs it: an aborted pipeline task, e.g. a
    /// wedged one restarted, still closes its run instead of leaving it open).
    finished: bool,
}

impl Drop for GopAssembler {
    fn drop(&mut self) {
        self.finish();
    }
}

impl GopAssembler {
    pub fn new(queue: CameraQueue) -> Self {
        Self {
            queue,
            intra_only: false,
            video: Vec::new(),
            video_bytes: 0,
            starts_with_key: false,
            audio: heapless::Deque::new(),
            max_pts_90k: 0,
            cut: None,
            next_min_pts_90k: 0,
            broken: false,
            finished: false,
        }
    }

    pub fn on_event(&mut self, ev: &MediaEvent) {
        match ev {
            MediaEvent::SessionStart(p) => {
                self.flush(None);
                self.intra_only = p.format == "mjpeg";
                self.queue.send(Job::Start(p.clone()));
            }
            MediaEvent::Params(p) => {
                self.flush(None);
                self.intra_only = p.format == "mjpeg";
                self.queue.send(Job::Params(p.clone()));
            }
            MediaEvent::Video(f) => self.video(f),
            MediaEvent::Audio(a) => {
                if self.video.is_empty() {
                    return; // no run to put it in
                }
                if self.audio.is_full() {
                    self.audio.pop_front();
                    self.queue.stats().audio_frames_dropped.add(1);
                }
                let _ = self.audio.push_back(a.clone());
            }
            MediaEvent::SessionEnd => {
                self.flush(None);
                self.queue.send(Job::End);
            }
        }
    }

    /// The pipeline stops: what is buffered goes out, then the recorder finishes.
    pub fn finish(&mut self) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        self.flush(None);
        self.queue.send(Job::Finish);
    }

    fn video(&mut self, f: &Arc<VideoFrame>) {
        if self.video.is_empty() {
            if f.is_key {
                self.start(f, true);
            }
            return; // frames before the first key frame decode to nothing
        }
        if !self.intra_only
            && (f.pts_90k - self.max_pts_90k > OUTAGE_90K
                || self.max_pts_90k - f.pts_90k > OUTAGE_90K)
        {
            tracing::warn!(
                camera = %self.queue.camera_id(),
                gap_ms = (f.pts_90k - self.max_pts_90k) / 90,
                "video timestamps jumped: ending the run"
            );
            self.flush(None);
            self.queue.send(Job::Break);
            if f.is_key {
                self.start(f, true);
            }
            return;
        }
        if let Some(cut) = self.cut {
            if !f.is_key && f.pts_90k < self.video[cut].pts_90k {
                // A leading picture of the GOP that began at the cut.
                self.next_min_pts_90k = self.next_min_pts_90k.min(f.pts_90k);
                self.push(f);
                return;
            }
            self.flush_cut();
        }
        let span_90k = f.pts_90k - self.video[0].pts_90k;
        if f.is_key && self.intra_only && span_90k >= 90_000 {
            self.flush(Some(f.pts_90k));
            self.start(f, true);
        } else if f.is_key && !self.intra_only {
            self.cut = Some(self.video.len());
            self.next_min_pts_90k = f.pts_90k;
            self.push(f);
        } else if self.video.len() >= MAX_GOP_FRAMES || self.video_bytes >= MAX_GOP_BYTES {
            self.flush(Some(f.pts_90k));
            self.start(f, f.is_key);
        } else {
            self.push(f);
        }
    }

    fn start(&mut self, f: &Arc<VideoFrame>, key: bool) {
        self.starts_with_key = key;
        self.max_pts_90k = f.pts_90k;
        self.push(f);
    }

    fn push(&mut self, f: &Arc<VideoFrame>) {
        self.max_pts_90k = self.max_pts_90k.max(f.pts_90k);
        self.video_bytes += f.data.len();
        self.video.push(f.clone());
    }

    /// Queues the GOP before the cut; the key frame at the cut starts the next one.
    fn flush_cut(&mut self) {
        let Some(cut) = self.cut.take() else { return };
        let rest = self.video.split_off(cut);
        let rest_bytes: usize = rest.iter().map(|f| f.data.len()).sum();
        self.video_bytes -= rest_bytes;
        self.flush_gop(Some(self.next_min_pts_90k));
        self.starts_with_key = true;
        self.max_pts_90k = rest.iter().map(|f| f.pts_90k).max().unwrap_or(0);
        self.video_bytes = rest_bytes;
        self.video = rest;
    }

    /// Queues everything buffered: the GOP before a pending cut, then the rest.
    fn flush(&mut self, next_pts_90k: Option<i64>) {
        self.flush_cut();
        self.flush_gop(next_pts_90k);
    }

    /// Queues the buffered GOP (or drops it when the camera's queue is full).
    fn flush_gop(&mut self, next_pts_90k: Option<i64>) {
        if self.video.is_empty() {
            self.audio.clear();
            return;
        }
        let video = std::mem::take(&mut self.video);
        let mut audio = Vec::with_capacity(self.audio.len());
        while let Some(a) = self.audio.pop_front() {
            audio.push(a);
        }
        let bytes = std::mem::take(&mut self.video_bytes)
            + audio.iter().map(|a| a.data.len()).sum::<usize>();
        let gop = Gop {
            video,
            audio,
            starts_with_key: self.starts_with_key,
            next_pts_90k,
            bytes,
        };
        if !self.queue.try_reserve(bytes) {
            let stats = self.queue.stats();
            if !self.broken {
                tracing::warn!(camera = %self.queue.camera_id(), "disk writer queue full: dropping video until it drains");
            }
            stats.frames_dropped.add(gop.video.len() as u64);
            stats.gops_dropped.add(1);
            self.broken = true;
            return;
        }
        if std::mem::take(&mut self.broken) {
            tracing::warn!(camera = %self.queue.camera_id(), "disk writer queue drained: recording resumes");
            self.queue.send(Job::Break);
        }
        self.queue.send(Job::Gop(gop));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::writer::testing as writer_q;

    #[test]
    fn a_dropped_assembler_finishes_its_run_once() {
        // An aborted pipeline task drops its assembler without `finish`: the recorder must
        // still hear that the run ended (a wedged pipeline restarted, for one).
        let (queue, jobs) = writer_q::queue("cam", usize::MAX);
        drop(GopAssembler::new(queue));
        assert!(matches!(jobs.take()[..], [Job::Finish]));
        let (queue, jobs) = writer_q::queue("cam", usize::MAX);
        let mut asm = GopAssembler::new(queue);
        asm.finish();
        drop(asm);
        assert!(
            matches!(jobs.take()[..], [Job::Finish]),
            "finished once, not again on drop"
        );
    }
}
