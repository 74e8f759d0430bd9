//! The live window of one camera's HLS stream: the last few segments, each a list of parts
//! (LL-HLS), already muxed, plus the part muxer (MPEG-TS for H.264, fMP4 for H.265). A part
//! is the unit of muxing; a segment's bytes are its parts' bytes in order.

use super::ts::TsMuxer;
use crate::media::StreamParams;
use crate::media::fmp4::{self, AUDIO_TRACK_ID, TrackRun, VIDEO_TRACK_ID};
use bytes::Bytes;
use std::collections::VecDeque;

/// Complete segments kept for players (about 6 to 12 s of video).
pub const WINDOW_SEGMENTS: usize = 6;

/// One video access unit inside a part, MP4 framing.
#[derive(Debug, Clone)]
pub struct PartFrame {
    pub pts_90k: i64,
    pub duration_90k: u32,
    pub is_key: bool,
    pub data: Bytes,
}

/// One audio frame inside a part; `pts` and `duration` in the audio clock.
#[derive(Debug, Clone)]
pub struct PartAudio {
    pub pts_90k: i64,
    pub pts: i64,
    pub duration: u32,
    pub data: Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// MPEG-TS (`.ts`), for H.264.
    Ts,
    /// Fragmented MP4 (`init.mp4` + `.m4s`), for H.265.
    Fmp4,
}

impl Container {
    pub fn for_format(format: &str) -> Container {
        if format == "h265" {
            Container::Fmp4
        } else {
            Container::Ts
        }
    }
    /// The container a camera's live HLS will use (MJPEG is transcoded to H.264).
    pub fn for_encoding(encoding: crate::config::Encoding) -> Container {
        if encoding == crate::config::Encoding::H265 {
            Container::Fmp4
        } else {
            Container::Ts
        }
    }
    pub fn ext(self) -> &'static str {
        match self {
            Container::Ts => "ts",
            Container::Fmp4 => "m4s",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            Container::Ts => "video/mp2t",
            Container::Fmp4 => "video/iso.segment",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Part {
    pub data: Bytes,
    pub duration_90k: u64,
    /// Starts with a key frame.
    pub independent: bool,
}

#[derive(Debug, Clone)]
pub struct Segment {
    /// Media sequence number.
    pub msn: u64,
    pub parts: Vec<Part>,
    pub complete: bool,
    /// Follows a reconnect or a parameter change.
    pub discontinuity: bool,
    /// Which init segment (fMP4) this segment needs.
    pub init_gen: u32,
    /// Wall time of the first frame's arrival, Unix ns.
    pub start_wall_ns: i64,
}

impl Segment {
    pub fn duration_90k(&self) -> u64 {
        self.parts.iter().map(|p| p.duration_90k).sum()
    }
    pub fn bytes(&self) -> Bytes {
        if self.parts.len() == 1 {
            return self.parts[0].data.clone();
        }
        let mut out = Vec::with_capacity(self.parts.iter().map(|p| p.data.len()).sum());
        for p in &self.parts {
            out.extend_from_slice(&p.data);
        }
        out.into()
    }
}

/// What players see; guarded by the stream's lock.
#[derive(Debug)]
pub struct Window {
    pub container: Container,
    /// RFC 6381 codecs of the current parameters (video, and audio when present).
    pub codecs: String,
    /// Init segments by generation (fMP4 only); the oldest go with their segments.
    pub inits: Vec<(u32, Bytes)>,
    /// Complete segments, then at most one in progress (last).
    pub segments: VecDeque<Segment>,
    pub discontinuity_seq: u64,
    /// Longest part so far (the advertised part target), 90 kHz.
    pub max_part_90k: u64,
    /// Why the stream ended, when it did.
    pub ended: Option<String>,
}

impl Window {
    pub fn new(container: Container) -> Self {
        Self {
            container,
            codecs: String::new(),
            inits: Vec::new(),
            segments: VecDeque::new(),
            discontinuity_seq: 0,
            max_part_90k: 0,
            ended: None,
        }
    }

    pub fn complete(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().filter(|s| s.complete)
    }

    pub fn segment(&self, msn: u64) -> Option<&Segment> {
        self.segments.iter().find(|s| s.msn == msn)
    }

    pub fn init(&self, generation: u32) -> Option<Bytes> {
        self.inits
            .iter()
            .find(|(g, _)| *g == generation)
            .map(|(_, b)| b.clone())
    }

    /// Drops segments beyond the window (and init segments nobody needs any more).
    pub fn trim(&mut self) {
        while self.complete().count() > WINDOW_SEGMENTS {
            if self.segments.pop_front().is_some_and(|s| s.discontinuity) {
                self.discontinuity_seq += 1;
            }
        }
        let oldest = self.segments.front().map(|s| s.init_gen);
        if let Some(oldest) = oldest {
            self.inits.retain(|(g, _)| *g >= oldest);
        }
    }
}

/// Muxes parts for one set of stream parameters.
pub enum PartMuxer {
    Ts(Box<TsMuxer>),
    Fmp4 {
        seq: u32,
        audio_timescale: Option<u32>,
    },
}

impl PartMuxer {
    /// The muxer and (fMP4) its init segment.
    pub fn new(params: &StreamParams) -> anyhow::Result<(PartMuxer, Option<Bytes>)> {
        match Container::for_format(params.format) {
            Container::Ts => Ok((
                PartMuxer::Ts(Box::new(TsMuxer::new(
                    params.param_sets.clone(),
                    params.audio_config.as_deref(),
                ))),
                None,
            )),
            Container::Fmp4 => {
                // AAC only: G.711 arrives as PCM, which HLS players do not take.
                let audio = params
                    .audio
                    .as_ref()
                    .filter(|_| params.audio_config.is_some());
                let init = fmp4::init_segment(&params.video, audio, None)?;
                Ok((
                    PartMuxer::Fmp4 {
                        seq: 0,
                        audio_timescale: audio.map(|a| a.timescale),
                    },
                    Some(init.into()),
                ))
            }
        }
    }

    pub fn mux(
        &mut self,
        frames: &[PartFrame],
        audio: &[PartAudio],
        segment_start: bool,
    ) -> anyhow::Result<Bytes> {
        match self {
            PartMuxer::Ts(ts) => ts.mux(frames, audio, segment_start),
            PartMuxer::Fmp4 {
                seq,
                audio_timescale,
            } => {
                *seq = seq.wrapping_add(1);
                fmp4_part(*seq, frames, audio, *audio_timescale).map(Bytes::from)
            }
        }
    }
}

/// One moof+mdat with the video (and audio) of a part.
pub fn fmp4_part(
    seq: u32,
    frames: &[PartFrame],
    audio: &[PartAudio],
    audio_timescale: Option<u32>,
) -> anyhow::Result<Vec<u8>> {
    let (v_meta, v_data) = fmp4::samples(
        frames
            .iter()
            .map(|f| (f.duration_90k, 0, f.is_key, &f.data)),
    );
    let mut runs = vec![TrackRun {
        track_id: VIDEO_TRACK_ID,
        base_decode_time: frames.first().map_or(0, |f| f.pts_90k.max(0) as u64),
        samples: &v_meta,
        data: &v_data,
    }];
    let (a_meta, a_data) = fmp4::samples(audio.iter().map(|a| (a.duration, 0, true, &a.data)));
    if audio_timescale.is_some() && !audio.is_empty() {
        runs.push(TrackRun {
            track_id: AUDIO_TRACK_ID,
            base_decode_time: audio[0].pts.max(0) as u64,
            samples: &a_meta,
            data: &a_data,
        });
    }
    Ok(fmp4::fragment(seq, &runs)?)
}
