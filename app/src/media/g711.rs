//! G.711 audio (A-law, µ-law) as cameras send it, expanded to 16-bit linear PCM (ITU-T G.711)
//! for storage: MP4 has no G.711 sample entry that players agree on, while 16-bit PCM
//! (`sowt`, little-endian) is read by ffmpeg and VLC. 64 kbit/s becomes 128 kbit/s, a few
//! per cent of a camera's video.

use super::fmp4::TrackSpec;
use mp4_atom::{Audio, Codec, Encode, FixedPoint, Sowt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    A,
    Mu,
}

pub fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let t = ((a & 0x0f) as i16) << 4;
    let seg = (a & 0x70) >> 4;
    let t = match seg {
        0 => t + 8,
        1 => t + 0x108,
        _ => (t + 0x108) << (seg - 1),
    };
    if a & 0x80 != 0 { t } else { -t }
}

pub fn ulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let t = ((((u & 0x0f) as i16) << 3) + 0x84) << ((u & 0x70) >> 4);
    if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }
}

/// G.711 bytes to 16-bit little-endian PCM.
pub fn to_pcm_le(law: Law, data: &[u8]) -> Vec<u8> {
    let f = match law {
        Law::A => alaw_to_linear,
        Law::Mu => ulaw_to_linear,
    };
    data.iter().flat_map(|&b| f(b).to_le_bytes()).collect()
}

/// The track of the expanded audio: 16-bit mono PCM at `rate` Hz.
pub fn pcm_track(rate: u32) -> anyhow::Result<TrackSpec> {
    let entry = Codec::Sowt(Sowt {
        audio: Audio {
            data_reference_index: 1,
            channel_count: 1,
            sample_size: 16,
            sample_rate: FixedPoint::new(rate.min(u16::MAX as u32) as u16, 0),
        },
        pcmc: None,
        chnl: None,
        btrt: None,
    });
    let mut sample_entry = Vec::new();
    entry.encode(&mut sample_entry)?;
    Ok(TrackSpec {
        sample_entry,
        timescale: rate,
        video_size: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // ITU-T G.711 table values (decoder output, 16-bit scaled).
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xaa), 32256);
        assert_eq!(alaw_to_linear(0x2a), -32256);
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(ulaw_to_linear(0x7f), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        // Monotonic over each half of the code space.
        let mut last = i16::MIN;
        for code in 0u8..=0x7f {
            let v = ulaw_to_linear(code);
            assert!(v >= last, "{code:#x}");
            last = v;
        }
        assert_eq!(to_pcm_le(Law::A, &[0xd5, 0x55]), vec![8, 0, 0xf8, 0xff]);
        let t = pcm_track(8000).unwrap();
        assert_eq!(&t.sample_entry[4..8], b"sowt");
    }
}
