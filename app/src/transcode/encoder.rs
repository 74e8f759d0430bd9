//! The H.264 encoder abstraction: frames in (I420), Annex B access units out. Hardware first:
//! a V4L2 M2M H.264 encoder is detected (see `probe`) but not driven yet, so every encoder is
//! openh264 in software for now; `select` says which one was chosen and why.

use openh264::OpenH264API;
use openh264::encoder::{BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod};
use openh264::formats::YUVBuffer;

pub struct H264Encoder {
    inner: Encoder,
    pub width: usize,
    pub height: usize,
}

/// Which encoder an open would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// `software` or `hardware`.
    pub kind: &'static str,
    pub name: String,
    /// Why, when a hardware encoder exists but is not used.
    pub note: Option<String>,
}

pub fn select(m2m: &[super::probe::M2mDevice]) -> Selection {
    let hw = m2m.iter().find(|d| d.encodes.iter().any(|f| f == "H264"));
    Selection {
        kind: "software",
        name: "openh264".into(),
        note: hw.map(|d| {
            format!(
                "hardware H.264 encoder {} ({}) found; this version encodes with openh264 in software",
                d.name, d.path
            )
        }),
    }
}

impl H264Encoder {
    pub fn open(width: usize, height: usize, fps: f32, bitrate_bps: u32) -> anyhow::Result<Self> {
        let config = EncoderConfig::new()
            .max_frame_rate(FrameRate::from_hz(fps))
            .bitrate(BitRate::from_bps(bitrate_bps))
            .skip_frames(true)
            .num_threads(1)
            .intra_frame_period(IntraFramePeriod::from_num_frames(
                (fps * 2.0).max(1.0) as u32
            ));
        let inner = Encoder::with_api_config(OpenH264API::from_source(), config)?;
        Ok(Self {
            inner,
            width,
            height,
        })
    }

    /// One frame; `force_key` asks for an IDR. Returns Annex B (may be empty: skipped).
    pub fn encode(&mut self, yuv: &YUVBuffer, force_key: bool) -> anyhow::Result<Vec<u8>> {
        if force_key {
            self.inner.force_intra_frame();
        }
        Ok(self.inner.encode(yuv)?.to_vec())
    }
}
