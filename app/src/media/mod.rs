//! Media plumbing shared by ingest, recording and live view: the frame and stream
//! parameter types, the per-camera hub, the fMP4 muxer and the time model.

pub mod fmp4;
pub mod g711;
pub mod hub;
pub mod jpeg;
pub mod mjpeg;
pub mod timebase;

use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;

/// Codec parameters of a camera's session; a change starts a new init segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamParams {
    pub video: fmp4::TrackSpec,
    /// RFC 6381 codec string (`avc1.4D401E`, `hvc1...`), for HLS and logs.
    pub video_codec: String,
    /// `h264`, `h265` or `mjpeg`.
    pub format: &'static str,
    pub audio: Option<fmp4::TrackSpec>,
    /// The video parameter sets (VPS,) SPS, PPS as raw NAL units, for in-band use
    /// (MPEG-TS live segments, decoders).
    pub param_sets: Vec<Bytes>,
    /// The AAC AudioSpecificConfig when the audio is AAC (for ADTS framing).
    pub audio_config: Option<Bytes>,
}

/// One access unit of video.
#[derive(Debug, Clone)]
pub struct VideoFrame {
    /// Media time in 90 kHz units since the session's first packet.
    pub pts_90k: i64,
    pub is_key: bool,
    /// 4-byte length-prefixed NAL units (MP4 framing).
    pub data: Bytes,
    pub received: Instant,
    /// System time at reception, Unix nanoseconds.
    pub received_wall_ns: i64,
}

/// One audio frame.
#[derive(Debug, Clone)]
pub struct AudioFrame {
    /// Media time in the audio clock's units since the session's first packet.
    pub pts: i64,
    pub duration: u32,
    pub data: Bytes,
}

/// What a camera session publishes to its hub, in order.
#[derive(Debug, Clone)]
pub enum MediaEvent {
    /// A new session began (after a (re)connect) with these parameters; media times restart.
    SessionStart(Arc<StreamParams>),
    /// Parameters changed mid-session (new SPS/PPS): the next key frame uses them.
    Params(Arc<StreamParams>),
    Video(Arc<VideoFrame>),
    Audio(Arc<AudioFrame>),
    /// The session ended (disconnect, stall, stop).
    SessionEnd,
}

/// The NAL units of an access unit in MP4 framing (4-byte big-endian lengths); `Err` at a
/// length that runs past the end.
pub fn nal_units(mp4: &[u8]) -> impl Iterator<Item = Result<&[u8], &'static str>> {
    let mut rest = mp4;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        match rest.get(4..4 + n) {
            Some(nal) => {
                rest = &rest[4 + n..];
                Some(Ok(nal))
            }
            None => {
                rest = &[];
                Some(Err("truncated NAL unit"))
            }
        }
    })
}

pub fn now_wall_ns() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64
}

/// Unix ns as `YYYYMMDD-HHMMSS` (UTC), for media file and download names.
pub fn compact_stamp(wall_ns: i64) -> String {
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    time::OffsetDateTime::from_unix_timestamp_nanos(wall_ns as i128)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&fmt)
        .unwrap_or_default()
}
