//! Still images from video, off the recording path: an H.264 key frame (MP4 framing plus
//! the stream's parameter sets) decoded with openh264 and encoded to JPEG. Callers run it on
//! a blocking thread.

use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

pub const JPEG_QUALITY: u8 = 80;

/// MP4-framed NAL units (4-byte lengths) to Annex B, parameter sets first.
pub fn annex_b(param_sets: &[bytes::Bytes], mp4: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(mp4.len() + 256);
    for ps in param_sets {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(ps);
    }
    for nal in super::nal_units(mp4) {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal.map_err(anyhow::Error::msg)?);
    }
    Ok(out)
}

/// Decodes one H.264 key frame (Annex B) and returns (JPEG, width, height).
pub fn h264_keyframe_to_jpeg(annexb: &[u8]) -> anyhow::Result<(Vec<u8>, u32, u32)> {
    let mut decoder = Decoder::new()?;
    let (w, h, rgb) = {
        let decoded = decoder.decode(annexb)?.map(|yuv| rgb_of(&yuv));
        match decoded {
            Some(d) => d,
            None => {
                let rest = decoder.flush_remaining()?;
                let yuv = rest
                    .first()
                    .ok_or_else(|| anyhow::anyhow!("the key frame decoded to no picture"))?;
                rgb_of(yuv)
            }
        }
    };
    let mut jpeg = Vec::with_capacity(w * h / 4);
    jpeg_encoder::Encoder::new(&mut jpeg, JPEG_QUALITY).encode(
        &rgb,
        w as u16,
        h as u16,
        jpeg_encoder::ColorType::Rgb,
    )?;
    Ok((jpeg, w as u32, h as u32))
}

fn rgb_of(yuv: &openh264::decoder::DecodedYUV<'_>) -> (usize, usize, Vec<u8>) {
    let (w, h) = yuv.dimensions();
    let mut rgb = vec![0u8; w * h * 3];
    yuv.write_rgb8(&mut rgb);
    (w, h, rgb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openh264::encoder::Encoder;
    use openh264::formats::{RgbSliceU8, YUVBuffer};

    #[test]
    fn a_key_frame_becomes_a_jpeg_of_its_size() {
        let (w, h) = (160usize, 96usize);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(&rgb, (w, h)));
        let annexb = Encoder::new().unwrap().encode(&yuv).unwrap().to_vec();
        let (jpeg, jw, jh) = h264_keyframe_to_jpeg(&annexb).unwrap();
        assert_eq!((jw, jh), (w as u32, h as u32));
        assert_eq!(&jpeg[..2], &[0xff, 0xd8]);
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xff, 0xd9]);
        assert!(h264_keyframe_to_jpeg(&[0, 0, 0, 1, 0x65, 1, 2, 3]).is_err());
    }
}
