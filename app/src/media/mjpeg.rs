//! Motion JPEG as this daemon carries it: every frame a complete JPEG (a key frame), stored
//! in the same fMP4 files as H.264 under QuickTime's `jpeg` sample entry (ffmpeg reads it
//! as MJPEG), so recordings, downloads, retention and recovery need nothing special.

use super::StreamParams;
use super::fmp4::{TrackSpec, VIDEO_TIMESCALE};
use mp4_atom::{Codec, Encode, Jpeg, Visual};

/// The stream parameters of an MJPEG source of this picture size (refused beyond 8K).
pub fn params(width: u32, height: u32) -> anyhow::Result<StreamParams> {
    super::check_picture_size(width, height).map_err(anyhow::Error::msg)?;
    let codec = Codec::Jpeg(Jpeg {
        visual: Visual {
            data_reference_index: 1,
            width: width as u16,
            height: height as u16,
            depth: 24,
            ..Default::default()
        },
        ..Default::default()
    });
    let mut entry = Vec::new();
    codec.encode(&mut entry)?;
    Ok(StreamParams {
        video: TrackSpec {
            sample_entry: entry,
            timescale: VIDEO_TIMESCALE,
            video_size: Some((width, height)),
        },
        video_codec: "jpeg".into(),
        format: "mjpeg",
        audio: None,
        param_sets: Vec::new(),
        audio_config: None,
    })
}

/// The picture size a JPEG declares (its SOF marker), without decoding it.
pub fn size(jpeg: &[u8]) -> Option<(u32, u32)> {
    let s = imagesize::blob_size(jpeg).ok()?;
    (s.width > 0 && s.height > 0).then_some((s.width as u32, s.height as u32))
}

/// Keeps every Nth frame (`sample_interval`; 1 or 0 keeps all).
pub struct Decimator {
    every: u32,
    seen: u32,
}

impl Decimator {
    pub fn new(every: u32) -> Self {
        Self {
            every: every.max(1),
            seen: 0,
        }
    }
    pub fn keep(&mut self) -> bool {
        let keep = self.seen.is_multiple_of(self.every);
        self.seen = self.seen.wrapping_add(1);
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_frame_and_the_sample_entry() {
        let mut d = Decimator::new(3);
        let kept: Vec<bool> = (0..7).map(|_| d.keep()).collect();
        assert_eq!(kept, [true, false, false, true, false, false, true]);
        assert!((0..5).all(|_| Decimator::new(1).keep()));
        let p = params(640, 480).unwrap();
        assert_eq!(&p.video.sample_entry[4..8], b"jpeg");
        assert_eq!(p.video.video_size, Some((640, 480)));
        assert_eq!(size(b"not a jpeg"), None);
    }

    #[test]
    fn absurd_picture_sizes_are_refused() {
        for (w, h) in [
            (65535, 65535),
            (0, 480),
            (640, 0),
            (8193, 100),
            (8192, 8192),
        ] {
            let e = params(w, h).unwrap_err().to_string();
            assert!(e.contains("out of range"), "{w}x{h}: {e}");
        }
        assert!(params(7680, 4320).is_ok(), "8K UHD");
        assert!(params(8192, 4352).is_ok(), "DCI 8K");
    }
}
