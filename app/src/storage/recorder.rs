//! The recorder of one camera pipeline, run by the disk writer thread (`storage::writer`):
//! takes the GOPs its assembler queued, appends one fMP4 fragment per GOP to the camera's
//! current media file, and closes a recording (an index entry) at the first key frame after
//! `storage.segment_duration`. Runs, files and recordings: a run is one continuous stretch of
//! media (see media::timebase); a file holds one run's fragments with one init segment and is
//! rotated hourly, at 1 GiB or when the codec parameters change. Decode times come from
//! `media::dts` (B-frames are stored in decode order with composition offsets).

use super::file::{MediaFile, WriteCounters};
use super::gop::Gop;
use super::index::IndexSender;
use super::writer::{CameraShared, Job};
use crate::config::ConfigStore;
use crate::db::{Db, FileRow, IndexOp, RecordingRow};
use crate::media::dts::DecodeTimeline;
use crate::media::fmp4::{self, AUDIO_TRACK_ID, TrackRun, VIDEO_TRACK_ID};
use crate::media::timebase::{RunClock, ticks_90k_to_ns};
use crate::media::{StreamParams, VideoFrame};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub const MAX_FILE_BYTES: u64 = 1 << 30;
pub const MAX_FILE_AGE: Duration = Duration::from_secs(3600);

/// Monotonic nanoseconds since the process's time origin.
pub fn mono_ns(t: Instant) -> i64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(|| Instant::now() - Duration::from_secs(1));
    t.saturating_duration_since(origin).as_nanos() as i64
}

/// What a recorder needs: where files go, the index, the settings, and space management.
#[derive(Clone)]
pub struct RecorderCtx {
    pub root: PathBuf,
    pub db: Arc<Db>,
    pub config: Arc<ConfigStore>,
    pub index: IndexSender,
    pub counters: Arc<WriteCounters>,
    pub reclaimer: Arc<super::retention::Reclaimer>,
    /// Whether the wall clock is trusted, and its epochs (a run records in one).
    pub clock: Arc<crate::clock::Clock>,
}

struct Run {
    clock: RunClock,
    /// The clock epoch the run's wall times come from, while that clock is untrusted.
    untrusted_epoch: Option<u64>,
    timeline: DecodeTimeline,
    /// Decode time of the run's first frame.
    origin_90k: i64,
}

struct OpenRecording {
    byte_start: u64,
    byte_end: u64,
    /// Run-relative decode times.
    media_start_90k: i64,
    media_end_90k: i64,
    frames: u64,
}

pub struct Recorder {
    cam: Arc<CameraShared>,
    ctx: RecorderCtx,
    params: Option<Arc<StreamParams>>,
    run: Option<Run>,
    file: Option<MediaFile>,
    /// Decode time (run-relative) at the file's start, and the first audio pts in the file.
    file_origin_90k: i64,
    file_audio_origin: Option<i64>,
    rec: Option<OpenRecording>,
    seq: u32,
    /// When the frame after the last one written would arrive (the open recording's end,
    /// for the slew).
    last_received: Option<Instant>,
}

impl Recorder {
    pub fn new(cam: Arc<CameraShared>, ctx: RecorderCtx) -> Self {
        Self {
            cam,
            ctx,
            params: None,
            run: None,
            file: None,
            file_origin_90k: 0,
            file_audio_origin: None,
            rec: None,
            seq: 0,
            last_received: None,
        }
    }

    /// The stream's parameters (kept across a recorder that starts afresh).
    pub fn params(&self) -> Option<Arc<StreamParams>> {
        self.params.clone()
    }

    fn camera_id(&self) -> &str {
        self.cam.camera_id()
    }

    /// Handles one job of the camera's queue (blocking: this is the writer thread).
    pub fn handle(&mut self, job: Job) {
        match job {
            Job::Start(p) | Job::Params(p) => {
                // New codec parameters need a new init segment: the run ends here; the next
                // key frame starts a new run in a new file.
                self.end_run();
                self.params = Some(p);
            }
            Job::Gop(g) => self.gop(g),
            Job::Break | Job::End | Job::Finish => self.end_run(),
        }
    }

    fn skip(&self, g: &Gop) {
        self.cam.stats.frames_skipped.add(g.video.len() as u64);
    }

    fn gop(&mut self, g: Gop) {
        let Some(first) = g.video.first().cloned() else {
            return;
        };
        // The denominator of write amplification: video received for recording.
        self.ctx.counters.media_received_bytes.fetch_add(
            g.video.iter().map(|f| f.data.len() as u64).sum(),
            std::sync::atomic::Ordering::Relaxed,
        );
        if self.params.is_none() {
            return self.skip(&g);
        }
        if let Some(run) = &self.run
            && run
                .clock
                .clock_stepped(first.received_wall_ns, mono_ns(first.received))
        {
            tracing::warn!(camera = %self.camera_id(), "system clock stepped: starting a new run");
            self.end_run();
        }
        let pts: Vec<i64> = g.video.iter().map(|f| f.pts_90k).collect();
        let placement = match self.run.as_mut() {
            Some(run) => run.timeline.place(&pts, g.next_pts_90k),
            None => {
                if !g.starts_with_key {
                    return self.skip(&g); // a continuation without its start
                }
                let mut timeline = DecodeTimeline::default();
                let placement = timeline.place(&pts, g.next_pts_90k);
                let (epoch, trusted) = self
                    .ctx
                    .clock
                    .epoch_of(first.received_wall_ns, mono_ns(first.received));
                // The run's media time starts at its first decode time.
                self.run = Some(Run {
                    untrusted_epoch: (!trusted).then_some(epoch),
                    clock: RunClock::new(
                        first.received_wall_ns,
                        mono_ns(first.received),
                        placement.first_dts_90k,
                    ),
                    timeline,
                    origin_90k: placement.first_dts_90k,
                });
                placement
            }
        };
        // A recording closes at a key frame once it is due.
        if g.starts_with_key {
            let seg_ns = self.ctx.config.get().storage.segment_ns();
            let due = self
                .rec
                .as_ref()
                .is_some_and(|r| ticks_90k_to_ns(r.media_end_90k - r.media_start_90k) >= seg_ns);
            if due {
                self.close_recording(first.received);
                let rotate = self.file.as_ref().is_some_and(|m| {
                    m.len_bytes >= MAX_FILE_BYTES || m.opened.elapsed() >= MAX_FILE_AGE
                });
                if rotate {
                    self.seal_file();
                }
            }
        }
        self.write_gop(&g, &placement);
    }

    /// Writes one GOP as one fragment.
    fn write_gop(&mut self, g: &Gop, placement: &crate::media::dts::Placement) {
        let (Some(origin_90k), Some(params)) =
            (self.run.as_ref().map(|r| r.origin_90k), self.params.clone())
        else {
            return;
        };
        let first = placement.first_dts_90k - origin_90k;
        let cfg = self.ctx.config.get();
        if !self.ctx.reclaimer.ensure_space(
            g.bytes as u64 + (64 << 10),
            cfg.cleanup.disk_threshold_percent,
        ) {
            // Nothing left to reclaim: end the run cleanly (what is written stays indexed);
            // the next key frame after space returns starts a new run in a new file.
            self.skip(g);
            self.end_run();
            return;
        }
        if self.file.is_none() && !self.open_file(&params, first, &g.video[0]) {
            self.skip(g);
            return;
        }
        let (samples, data) = fmp4::samples(
            g.video
                .iter()
                .zip(&placement.samples)
                .map(|(fr, &(duration, cts))| (duration, cts, fr.is_key, &fr.data)),
        );
        let mut runs = vec![TrackRun {
            track_id: VIDEO_TRACK_ID,
            base_decode_time: (first - self.file_origin_90k).max(0) as u64,
            samples: &samples,
            data: &data,
        }];
        let (audio_samples, audio_data) =
            fmp4::samples(g.audio.iter().map(|a| (a.duration, 0, true, &a.data)));
        if params.audio.is_some() && !g.audio.is_empty() {
            let origin = *self.file_audio_origin.get_or_insert(g.audio[0].pts);
            runs.push(TrackRun {
                track_id: AUDIO_TRACK_ID,
                base_decode_time: (g.audio[0].pts - origin).max(0) as u64,
                samples: &audio_samples,
                data: &audio_data,
            });
        }
        self.seq = self.seq.wrapping_add(1);
        let header = match fmp4::fragment_header(self.seq, &runs) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(camera = %self.camera_id(), error = %e, "building a fragment failed");
                self.skip(g);
                return;
            }
        };
        let sync = cfg.storage.sync_interval.as_duration();
        let file = self.file.as_mut().expect("file open");
        let offset = file.len_bytes;
        let parts: Vec<&[u8]> = std::iter::once(header.as_slice())
            .chain(runs.iter().flat_map(|r| r.data.iter().map(|b| &b[..])))
            .collect();
        let written = match file.append(&parts, sync) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(camera = %self.camera_id(), error = %e, "writing a fragment failed; starting a new file");
                self.skip(g);
                self.close_recording(Instant::now());
                self.seal_file();
                return;
            }
        };
        let end_media = placement.end_dts_90k - origin_90k;
        let rec = self.rec.get_or_insert(OpenRecording {
            byte_start: offset,
            byte_end: offset,
            media_start_90k: first,
            media_end_90k: first,
            frames: 0,
        });
        rec.byte_end = offset + written;
        rec.media_end_90k = end_media;
        rec.frames += g.video.len() as u64;
        // The open recording ends when the frame after the last would arrive.
        let last_ns = placement
            .samples
            .last()
            .map_or(0, |s| ticks_90k_to_ns(s.0 as i64));
        self.last_received = g
            .video
            .last()
            .map(|f| f.received + Duration::from_nanos(last_ns.max(0) as u64));
    }

    fn open_file(&mut self, params: &StreamParams, first_90k: i64, first: &VideoFrame) -> bool {
        let init = match fmp4::init_segment(&params.video, params.audio.as_ref(), None) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(camera = %self.camera_id(), error = %e, "building the init segment failed");
                return false;
            }
        };
        let (width, height) = params.video.video_size.unwrap_or((0, 0));
        let row = FileRow {
            camera_id: self.camera_id().to_string(),
            rel_path: String::new(),
            init_len: 0,
            start_wall_ns: first.received_wall_ns,
            start_media_90k: first_90k,
            sealed: false,
            format: params.format.to_string(),
            width,
            height,
        };
        let epoch = self.run.as_ref().and_then(|r| r.untrusted_epoch);
        match MediaFile::create(
            &self.ctx.root,
            &self.ctx.db,
            row,
            epoch,
            &init,
            self.ctx.counters.clone(),
        ) {
            Ok(f) => {
                tracing::info!(camera = %self.camera_id(), file = %f.path().display(), "new media file");
                self.file = Some(f);
                self.file_origin_90k = first_90k;
                self.file_audio_origin = None;
                self.seq = 0;
                true
            }
            Err(e) => {
                tracing::error!(camera = %self.camera_id(), error = %e, "creating a media file failed");
                false
            }
        }
    }

    /// Closes the open recording: syncs its bytes, then queues its index entry.
    fn close_recording(&mut self, observed: Instant) {
        let Some(rec) = self.rec.take() else { return };
        let (Some(run), Some(file)) = (self.run.as_mut(), self.file.as_mut()) else {
            return;
        };
        if rec.frames == 0 {
            return;
        }
        let span = run
            .clock
            .close_recording(rec.media_end_90k + run.origin_90k, mono_ns(observed));
        if let Err(e) = file.sync() {
            tracing::error!(camera = %self.cam.camera_id(), error = %e, "fdatasync failed");
        }
        let row = RecordingRow {
            camera_id: self.cam.camera_id().to_string(),
            file_id: file.id,
            byte_start: rec.byte_start,
            byte_end: rec.byte_end,
            media_start_90k: rec.media_start_90k - self.file_origin_90k,
            media_end_90k: rec.media_end_90k - self.file_origin_90k,
            start_wall_ns: span.start_ns,
            duration_ns: span.duration_ns,
            frame_count: rec.frames,
            format: file.row.format.clone(),
            width: file.row.width,
            height: file.row.height,
            merged: false,
            recovered: false,
        };
        self.ctx.index.send(match run.untrusted_epoch {
            Some(epoch) => IndexOp::InsertUntrusted { row, epoch },
            None => IndexOp::InsertRecording(row),
        });
    }

    fn seal_file(&mut self) {
        if let Some(f) = self.file.take() {
            match f.seal() {
                Ok(id) => self.ctx.index.send(IndexOp::SealFile(id)),
                Err(e) => {
                    tracing::error!(camera = %self.camera_id(), error = %e, "sealing a media file failed")
                }
            }
        }
    }

    /// Closes the open recording and the file, and ends the run (disconnect, lost media,
    /// parameter change, clock step).
    fn end_run(&mut self) {
        let observed = self.last_received.take().unwrap_or_else(Instant::now);
        self.close_recording(observed);
        self.seal_file();
        self.run = None;
    }
}

#[cfg(test)]
#[path = "recorder_tests.rs"]
mod tests;
