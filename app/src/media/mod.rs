//! Media plumbing shared by ingest, recording and live view: the frame and stream
//! parameter types, the per-camera hub, the fMP4 muxer and the time model.

pub mod dts;
pub mod fmp4;
pub mod g711;
pub mod hub;
pub mod jpeg;
pub mod mjpeg;
pub mod nal;
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

/// The largest picture side accepted from a camera (8K is 7680×4320; 8192 leaves room for
/// DCI 8K and panoramic sensors). A bigger one is a broken or hostile stream, not a camera.
pub const MAX_PICTURE_SIDE: u32 = 8192;
/// The largest picture area accepted (8192 × 4352, DCI 8K).
pub const MAX_PICTURE_PIXELS: u64 = 8192 * 4352;

/// Refuses a picture size no camera sends (zero, or beyond 8K), before anything is sized
/// from it.
pub fn check_picture_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0
        || height == 0
        || width > MAX_PICTURE_SIDE
        || height > MAX_PICTURE_SIDE
        || u64::from(width) * u64::from(height) > MAX_PICTURE_PIXELS
    {
        return Err(format!(
            "picture size {width}x{height} is out of range (at most {MAX_PICTURE_SIDE} a side, 8K)"
        ));
    }
    Ok(())
}

impl StreamParams {
    /// An H.264 stream's parameters from its SPS and PPS (the encoder's own output, or a
    /// camera's), with no audio.
    pub fn h264(w: usize, h: usize, sps: Vec<u8>, pps: Vec<u8>) -> anyhow::Result<StreamParams> {
        use mp4_atom::{Avc1, Avcc, Codec, Encode, Visual};
        anyhow::ensure!(sps.len() >= 4, "short SPS");
        anyhow::ensure!(
            w <= u16::MAX as usize && h <= u16::MAX as usize,
            "picture too large"
        );
        let codec_string = format!("avc1.{:02X}{:02X}{:02X}", sps[1], sps[2], sps[3]);
        let entry = Codec::Avc1(Avc1 {
            visual: Visual {
                data_reference_index: 1,
                width: w as u16,
                height: h as u16,
                depth: 24,
                ..Default::default()
            },
            avcc: Avcc {
                configuration_version: 1,
                avc_profile_indication: sps[1],
                profile_compatibility: sps[2],
                avc_level_indication: sps[3],
                length_size: 4,
                sequence_parameter_sets: vec![sps.clone()],
                picture_parameter_sets: vec![pps.clone()],
                ext: None,
            },
            ..Default::default()
        });
        let mut sample_entry = Vec::new();
        entry.encode(&mut sample_entry)?;
        Ok(StreamParams {
            video: fmp4::TrackSpec {
                sample_entry,
                timescale: fmp4::VIDEO_TIMESCALE,
                video_size: Some((w as u32, h as u32)),
            },
            video_codec: codec_string,
            format: "h264",
            audio: None,
            param_sets: vec![Bytes::from(sps), Bytes::from(pps)],
            audio_config: None,
        })
    }
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
        // checked: `n` comes from the stream, and usize is 32 bits on armv7.
        match 4usize.checked_add(n).and_then(|end| rest.get(4..end)) {
            Some(nal) => {
                rest = &rest[4 + nal.len()..];
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

/// Unix ns as RFC 3339 (UTC), as the API writes times.
pub fn rfc3339_ns(ns: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ns as i128)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Unix ns as `YYYYMMDD-HHMMSS` (UTC), for media file and download names.
pub fn compact_stamp(wall_ns: i64) -> String {
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    time::OffsetDateTime::from_unix_timestamp_nanos(wall_ns as i128)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&fmt)
        .unwrap_or_default()
}
