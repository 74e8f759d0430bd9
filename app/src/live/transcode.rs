//! Live H.264 for MJPEG cameras: a blocking thread takes the camera's JPEG frames from its
//! hub, decodes them (jpeg-decoder), encodes them with the box's H.264 encoder
//! (`transcode::encoder`; a key frame every 2 s) and publishes the result to a hub of its
//! own, which the HLS segmenter reads like any H.264 camera. It always works on the newest
//! frame: when encoding falls behind, older frames are skipped, never queued. Started only
//! when someone asks for the camera's HLS; it ends with the live stream.

use crate::media::hub::Hub;
use crate::media::{MediaEvent, StreamParams, VideoFrame};
use crate::transcode::encoder::H264Encoder;
use openh264::formats::{RgbSliceU8, YUVBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::broadcast::error::RecvError;

const KEY_INTERVAL_90K: i64 = 180_000;

pub struct Transcoder {
    pub out: Arc<Hub>,
    stop: Arc<AtomicBool>,
}

impl Drop for Transcoder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts transcoding `source` (MJPEG) to a new hub.
pub fn start(source: &Hub, camera_id: &str, max_fps: u32) -> Transcoder {
    let out = Arc::new(Hub::new());
    let stop = Arc::new(AtomicBool::new(false));
    let (_, gop, rx) = source.subscribe();
    let (out2, stop2, id) = (out.clone(), stop.clone(), camera_id.to_string());
    tokio::task::spawn_blocking(move || {
        let mut t = State {
            out: out2,
            encoder: None,
            params: None,
            last_key_90k: None,
            last_pts_90k: None,
            max_fps,
        };
        let mut rx = rx;
        let mut pending: Option<Arc<VideoFrame>> = gop.into_iter().rev().find_map(|e| match e {
            MediaEvent::Video(f) => Some(f),
            _ => None,
        });
        while !stop2.load(Ordering::Relaxed) {
            let frame = match pending.take() {
                Some(f) => f,
                None => match rx.blocking_recv() {
                    Ok(MediaEvent::Video(f)) => f,
                    Ok(MediaEvent::SessionEnd) => {
                        t.out.publish(MediaEvent::SessionEnd);
                        t.params = None;
                        continue;
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                },
            };
            if let Err(e) = t.frame(&frame) {
                tracing::warn!(camera = %id, error = %e, "live transcode: frame skipped");
            }
        }
        if t.params.is_some() {
            t.out.publish(MediaEvent::SessionEnd);
        }
    });
    Transcoder { out, stop }
}

struct State {
    out: Arc<Hub>,
    encoder: Option<H264Encoder>,
    params: Option<Arc<StreamParams>>,
    last_key_90k: Option<i64>,
    last_pts_90k: Option<i64>,
    max_fps: u32,
}

impl State {
    fn frame(&mut self, f: &VideoFrame) -> anyhow::Result<()> {
        if self.max_fps > 0
            && self
                .last_pts_90k
                .is_some_and(|l| f.pts_90k >= l && f.pts_90k - l < 90_000 / self.max_fps as i64)
        {
            return Ok(());
        }
        self.last_pts_90k = Some(f.pts_90k);
        let (w, h, rgb) = decode_rgb(&f.data)?;
        let enc_ok = self
            .encoder
            .as_ref()
            .is_some_and(|e| e.width == w && e.height == h);
        if !enc_ok {
            // About 0.2 bit per pixel per frame at 10 fps (u64: sizes come from the camera,
            // and usize is 32 bits on armv7).
            let bitrate = (w as u64 * h as u64 * 2).clamp(200_000, 8_000_000) as u32;
            self.encoder = Some(H264Encoder::open(w, h, 10.0, bitrate)?);
            self.last_key_90k = None;
        }
        let force_key = self
            .last_key_90k
            .is_none_or(|k| f.pts_90k < k || f.pts_90k - k >= KEY_INTERVAL_90K);
        let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(&rgb, (w, h)));
        let annexb = self
            .encoder
            .as_mut()
            .expect("encoder")
            .encode(&yuv, force_key)?;
        let (mut sps, mut pps, mut is_key) = (None, None, false);
        let mut data = Vec::with_capacity(annexb.len());
        for nal in openh264::nal_units(&annexb) {
            let nal = strip_start_code(nal);
            match nal.first().map(|b| b & 0x1f) {
                Some(7) => sps = Some(nal.to_vec()),
                Some(8) => pps = Some(nal.to_vec()),
                Some(t) => {
                    is_key |= t == 5;
                    data.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    data.extend_from_slice(nal);
                }
                None => {}
            }
        }
        if let (Some(sps), Some(pps)) = (sps, pps) {
            let p = Arc::new(crate::media::StreamParams::h264(w, h, sps, pps)?);
            if self.params.as_deref() != Some(&p) {
                let first = self.params.is_none();
                self.params = Some(p.clone());
                self.out.publish(if first {
                    MediaEvent::SessionStart(p)
                } else {
                    MediaEvent::Params(p)
                });
            }
        }
        if is_key {
            self.last_key_90k = Some(f.pts_90k);
        }
        if self.params.is_none() || data.is_empty() {
            return Ok(());
        }
        self.out.publish(MediaEvent::Video(Arc::new(VideoFrame {
            pts_90k: f.pts_90k,
            is_key,
            data: data.into(),
            received: f.received,
            received_wall_ns: f.received_wall_ns,
        })));
        Ok(())
    }
}

fn strip_start_code(nal: &[u8]) -> &[u8] {
    let zeros = nal.iter().take_while(|b| **b == 0).count();
    if zeros >= 2 && nal.get(zeros) == Some(&1) {
        &nal[zeros + 1..]
    } else {
        nal
    }
}

/// A JPEG as RGB, cropped to even dimensions (4:2:0 needs them). Its declared size is
/// checked before anything is decoded: jpeg-decoder allocates whole planes from the header
/// (a 600-byte JPEG can declare 65535×65535) and checks its own limit only afterwards.
fn decode_rgb(jpeg: &[u8]) -> anyhow::Result<(usize, usize, Vec<u8>)> {
    let mut dec = jpeg_decoder::Decoder::new(jpeg);
    dec.read_info()?;
    let info = dec
        .info()
        .ok_or_else(|| anyhow::anyhow!("JPEG without a header"))?;
    crate::media::check_picture_size(info.width.into(), info.height.into())
        .map_err(anyhow::Error::msg)?;
    dec.set_max_decoding_buffer_size(crate::media::MAX_PICTURE_PIXELS as usize * 3);
    let pixels = dec.decode()?;
    let (w, h) = (info.width as usize, info.height as usize);
    let rgb: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        other => anyhow::bail!("unsupported JPEG pixel format {other:?}"),
    };
    let (w2, h2) = (w & !1, h & !1);
    anyhow::ensure!(w2 >= 2 && h2 >= 2, "picture too small");
    if (w2, h2) == (w, h) {
        return Ok((w, h, rgb));
    }
    let mut out = Vec::with_capacity(w2 * h2 * 3);
    for row in rgb.chunks_exact(w * 3).take(h2) {
        out.extend_from_slice(&row[..w2 * 3]);
    }
    Ok((w2, h2, out))
}

#[cfg(test)]
mod tests {
    /// SOI, then a baseline SOF declaring `w`×`h` with one component, a DQT, a DHT and an
    /// SOS: a few dozen bytes that ask a naive decoder for gigabytes.
    fn hostile_jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut j = vec![0xff, 0xd8];
        j.extend([0xff, 0xdb, 0x00, 0x43, 0x00]);
        j.extend([1u8; 64]);
        j.extend([0xff, 0xc0, 0x00, 0x0b, 0x08]);
        j.extend(h.to_be_bytes());
        j.extend(w.to_be_bytes());
        j.extend([0x01, 0x01, 0x11, 0x00]);
        j.extend([0xff, 0xc4, 0x00, 0x14, 0x00, 0x01]);
        j.extend([0u8; 15]);
        j.push(0x00);
        j.extend([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]);
        j.extend([0u8; 16]);
        j.extend([0xff, 0xd9]);
        j
    }

    #[test]
    fn a_jpeg_declaring_an_absurd_size_is_refused_before_decoding() {
        for (w, h) in [(65535, 65535), (65535, 32768), (8193, 16)] {
            let e = super::decode_rgb(&hostile_jpeg(w, h))
                .unwrap_err()
                .to_string();
            assert!(e.contains("out of range"), "{w}x{h}: {e}");
        }
    }
}
