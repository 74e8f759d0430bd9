//! The recorder of one camera: takes the camera's media events, cuts one fMP4 fragment per GOP,
//! appends it to the camera's current media file, and closes a recording (an index entry)
//! at the first key frame after `storage.segment_duration`. Runs, files and recordings:
//! a run is one continuous session (see media::timebase); a file holds one run's fragments
//! with one init segment and is rotated hourly, at 1 GiB or when the codec parameters change.

use super::file::{MediaFile, WriteCounters};
use super::index::IndexSender;
use crate::config::ConfigStore;
use crate::db::{Db, FileRow, IndexOp, RecordingRow};
use crate::media::fmp4::{self, AUDIO_TRACK_ID, TrackRun, VIDEO_TRACK_ID};
use crate::media::timebase::{RunClock, ticks_90k_to_ns};
use crate::media::{AudioFrame, MediaEvent, StreamParams, VideoFrame};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub const MAX_FILE_BYTES: u64 = 1 << 30;
pub const MAX_FILE_AGE: Duration = Duration::from_secs(3600);
/// A GOP longer than this is flushed early (bounded memory).
const MAX_GOP_FRAMES: usize = 300;
const MAX_GOP_BYTES: usize = 16 << 20;

/// Monotonic nanoseconds since the process's time origin.
pub fn mono_ns(t: Instant) -> i64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(|| Instant::now() - Duration::from_secs(1));
    t.saturating_duration_since(origin).as_nanos() as i64
}

#[derive(Clone)]
pub struct RecorderCtx {
    pub root: PathBuf,
    pub db: Arc<Db>,
    pub config: Arc<ConfigStore>,
    pub index: IndexSender,
    pub counters: Arc<WriteCounters>,
    pub reclaimer: Arc<super::retention::Reclaimer>,
}

struct Run {
    clock: RunClock,
    /// Media time of the run's first frame.
    origin_90k: i64,
}

struct OpenRecording {
    byte_start: u64,
    byte_end: u64,
    media_start_90k: i64,
    media_end_90k: i64,
    frames: u64,
}

pub struct Recorder {
    camera_id: String,
    ctx: RecorderCtx,
    params: Option<Arc<StreamParams>>,
    run: Option<Run>,
    file: Option<MediaFile>,
    /// Media time (run-relative) at the file's start, and the first audio pts in the file.
    file_origin_90k: i64,
    file_audio_origin: Option<i64>,
    rec: Option<OpenRecording>,
    gop: Vec<Arc<VideoFrame>>,
    gop_bytes: usize,
    audio: Vec<Arc<AudioFrame>>,
    seq: u32,
}

impl Recorder {
    pub fn new(camera_id: String, ctx: RecorderCtx) -> Self {
        Self {
            camera_id,
            ctx,
            params: None,
            run: None,
            file: None,
            file_origin_90k: 0,
            file_audio_origin: None,
            rec: None,
            gop: Vec::new(),
            gop_bytes: 0,
            audio: Vec::new(),
            seq: 0,
        }
    }

    /// Takes one event of the camera's session (called inline by the ingest task, so a
    /// frame costs no task hop). Only events that may write to disk leave the async world.
    pub fn on_event(&mut self, ev: MediaEvent) {
        let io = match &ev {
            MediaEvent::Video(f) => f.is_key || self.gop.len() >= MAX_GOP_FRAMES,
            MediaEvent::Audio(_) => false,
            _ => true,
        };
        if io {
            tokio::task::block_in_place(|| self.handle(ev));
        } else {
            self.handle(ev);
        }
    }

    /// The pipeline ends: write what is buffered.
    pub fn finish(&mut self) {
        tokio::task::block_in_place(|| self.end_run());
    }

    fn handle(&mut self, ev: MediaEvent) {
        match ev {
            MediaEvent::SessionStart(p) => {
                self.end_run();
                self.params = Some(p);
            }
            MediaEvent::Params(p) => {
                // New codec parameters need a new init segment: end the run at this point;
                // the next key frame starts a new run in a new file.
                self.end_run();
                self.params = Some(p);
            }
            MediaEvent::Video(f) => self.video(f),
            MediaEvent::Audio(a) => {
                if self.run.is_some() && self.params.as_ref().is_some_and(|p| p.audio.is_some()) {
                    self.audio.push(a);
                }
            }
            MediaEvent::SessionEnd => self.end_run(),
        }
    }

    fn video(&mut self, f: Arc<VideoFrame>) {
        if self.params.is_none() {
            return;
        }
        if self.run.is_none() {
            if !f.is_key {
                return; // P-frames before the first IDR are useless: start at a key frame.
            }
            self.run = Some(Run {
                clock: RunClock::new(f.received_wall_ns, mono_ns(f.received), f.pts_90k),
                origin_90k: f.pts_90k,
            });
        }
        if let Some(run) = &self.run
            && run
                .clock
                .clock_stepped(f.received_wall_ns, mono_ns(f.received))
        {
            tracing::warn!(camera = %self.camera_id, "system clock stepped: starting a new run");
            self.end_run();
            return self.video(f);
        }
        // MJPEG frames are all key frames: they are grouped into ~1 s fragments instead.
        let intra_only = self.params.as_ref().is_some_and(|p| p.format == "mjpeg");
        let gop_span_90k = self.gop.first().map_or(0, |g| f.pts_90k - g.pts_90k);
        if f.is_key && !self.gop.is_empty() && (!intra_only || gop_span_90k >= 90_000) {
            self.flush_gop(f.pts_90k);
            let seg_ns = self.ctx.config.get().storage.segment_ns();
            let due = self
                .rec
                .as_ref()
                .is_some_and(|r| ticks_90k_to_ns(r.media_end_90k - r.media_start_90k) >= seg_ns);
            if due {
                self.close_recording(f.received);
                let rotate = self.file.as_ref().is_some_and(|m| {
                    m.len_bytes >= MAX_FILE_BYTES || m.opened.elapsed() >= MAX_FILE_AGE
                });
                if rotate {
                    self.seal_file();
                }
            }
        } else if !self.gop.is_empty()
            && (self.gop.len() >= MAX_GOP_FRAMES || self.gop_bytes >= MAX_GOP_BYTES)
        {
            self.flush_gop(f.pts_90k);
        }
        self.gop_bytes += f.data.len();
        self.ctx
            .counters
            .media_received_bytes
            .fetch_add(f.data.len() as u64, std::sync::atomic::Ordering::Relaxed);
        self.gop.push(f);
    }

    /// Writes the buffered GOP as one fragment; `next_pts` gives the last frame's duration.
    fn flush_gop(&mut self, next_pts_90k: i64) {
        let gop = std::mem::take(&mut self.gop);
        let audio = std::mem::take(&mut self.audio);
        let gop_bytes = std::mem::take(&mut self.gop_bytes) as u64;
        let (Some(origin_90k), Some(params)) =
            (self.run.as_ref().map(|r| r.origin_90k), self.params.clone())
        else {
            return;
        };
        let first = gop[0].pts_90k - origin_90k;
        let need_bytes =
            gop_bytes + audio.iter().map(|a| a.data.len() as u64).sum::<u64>() + (64 << 10);
        let cfg = self.ctx.config.get();
        if !self
            .ctx
            .reclaimer
            .ensure_space(need_bytes, cfg.cleanup.disk_threshold_percent)
        {
            // Nothing left to reclaim: end the run cleanly (what is written stays indexed);
            // the next key frame after space returns starts a new run in a new file.
            self.close_recording(Instant::now());
            self.seal_file();
            self.run = None;
            return;
        }
        if self.file.is_none() && !self.open_file(&params, first, gop[0].received_wall_ns) {
            return;
        }
        let (samples, data) = fmp4::samples(gop.iter().enumerate().map(|(i, fr)| {
            let next = gop.get(i + 1).map(|n| n.pts_90k).unwrap_or(next_pts_90k);
            let duration = (next - fr.pts_90k).clamp(1, 90_000 * 10) as u32;
            (duration, fr.is_key, &fr.data)
        }));
        let mut runs = vec![TrackRun {
            track_id: VIDEO_TRACK_ID,
            base_decode_time: (first - self.file_origin_90k).max(0) as u64,
            samples: &samples,
            data: &data,
        }];
        let (audio_samples, audio_data) =
            fmp4::samples(audio.iter().map(|a| (a.duration, true, &a.data)));
        if params.audio.is_some() && !audio.is_empty() {
            let origin = *self.file_audio_origin.get_or_insert(audio[0].pts);
            runs.push(TrackRun {
                track_id: AUDIO_TRACK_ID,
                base_decode_time: (audio[0].pts - origin).max(0) as u64,
                samples: &audio_samples,
                data: &audio_data,
            });
        }
        self.seq = self.seq.wrapping_add(1);
        let header = match fmp4::fragment_header(self.seq, &runs) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(camera = %self.camera_id, error = %e, "building a fragment failed");
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
                tracing::error!(camera = %self.camera_id, error = %e, "writing a fragment failed; starting a new file");
                self.close_recording(Instant::now());
                self.seal_file();
                return;
            }
        };
        let end_media = next_pts_90k - origin_90k;
        let rec = self.rec.get_or_insert(OpenRecording {
            byte_start: offset,
            byte_end: offset,
            media_start_90k: first,
            media_end_90k: first,
            frames: 0,
        });
        rec.byte_end = offset + written;
        rec.media_end_90k = end_media;
        rec.frames += gop.len() as u64;
    }

    fn open_file(&mut self, params: &StreamParams, first_90k: i64, wall_ns: i64) -> bool {
        let init = match fmp4::init_segment(&params.video, params.audio.as_ref(), None) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(camera = %self.camera_id, error = %e, "building the init segment failed");
                return false;
            }
        };
        let (width, height) = params.video.video_size.unwrap_or((0, 0));
        let row = FileRow {
            camera_id: self.camera_id.clone(),
            rel_path: String::new(),
            init_len: 0,
            start_wall_ns: wall_ns,
            start_media_90k: first_90k,
            sealed: false,
            format: params.format.to_string(),
            width,
            height,
        };
        match MediaFile::create(
            &self.ctx.root,
            &self.ctx.db,
            row,
            &init,
            self.ctx.counters.clone(),
        ) {
            Ok(f) => {
                tracing::info!(camera = %self.camera_id, file = %f.path().display(), "new media file");
                self.file = Some(f);
                self.file_origin_90k = first_90k;
                self.file_audio_origin = None;
                self.seq = 0;
                true
            }
            Err(e) => {
                tracing::error!(camera = %self.camera_id, error = %e, "creating a media file failed");
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
            tracing::error!(camera = %self.camera_id, error = %e, "fdatasync failed");
        }
        let row = RecordingRow {
            camera_id: self.camera_id.clone(),
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
        self.ctx.index.send(IndexOp::InsertRecording(row));
    }

    fn seal_file(&mut self) {
        if let Some(f) = self.file.take() {
            match f.seal() {
                Ok(id) => self.ctx.index.send(IndexOp::SealFile(id)),
                Err(e) => {
                    tracing::error!(camera = %self.camera_id, error = %e, "sealing a media file failed")
                }
            }
        }
    }

    /// Flushes what is buffered and ends the run (disconnect, lag, parameter change).
    fn end_run(&mut self) {
        if !self.gop.is_empty() {
            // The last frame's duration is unknown: repeat the previous frame interval.
            let n = self.gop.len();
            let step = if n >= 2 {
                self.gop[n - 1].pts_90k - self.gop[n - 2].pts_90k
            } else {
                3000
            };
            let next = self.gop[n - 1].pts_90k + step.max(1);
            let observed = self.gop[n - 1].received;
            self.flush_gop(next);
            self.close_recording(observed);
        } else {
            self.close_recording(Instant::now());
        }
        self.seal_file();
        self.run = None;
        self.audio.clear();
    }
}
