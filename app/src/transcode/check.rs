//! `GET /api/transcoding/check`: what the box can encode with, measured, not assumed. At the
//! first call a real encode runs (openh264, 1280x720, a moving picture, 1 thread, at most
//! 2 s); `estimated_fps` is its speed on one core and `max_concurrent` how many 720p 10 fps
//! live transcodes fit on the cores left after recording (one core is kept for it), bounded
//! by memory (64 MiB each, half the RAM). The result is cached for the daemon's life.

use super::encoder::{self, H264Encoder};
use super::probe::{self, M2mDevice};
use openh264::formats::YUVBuffer;
use serde::Serialize;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

const BENCH_W: usize = 1280;
const BENCH_H: usize = 720;
const BENCH_MAX_FRAMES: u32 = 60;
const BENCH_MAX_TIME: Duration = Duration::from_secs(2);
/// A live transcode is counted as 720p at this rate.
const STREAM_FPS: f64 = 10.0;
const STREAM_MEMORY_MB: u64 = 64;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Encoders {
    pub h264: String,
    /// Empty: no H.265 encoder.
    pub h265: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Device {
    /// `cpu` or `v4l2_m2m`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encodes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Benchmark {
    pub width: usize,
    pub height: usize,
    pub frames: u32,
    pub seconds: f64,
    pub encoder: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TranscodingCheck {
    pub supported: bool,
    /// ffmpeg is not used by this daemon: `available` or `not_installed` says only whether
    /// one is on PATH.
    pub ffmpeg_status: String,
    pub encoders: Encoders,
    pub warnings: Vec<String>,
    pub max_concurrent: u32,
    pub estimated_fps: f64,
    pub total_cores: usize,
    pub total_memory_mb: u64,
    /// `software`, `hardware`, or `none` (beyond the reference's values: no encoder).
    pub h264_encoder_type: String,
    pub h265_encoder_type: String,
    pub devices: Vec<Device>,
    /// Beyond the reference: the measurement behind `estimated_fps`.
    pub benchmark: Option<Benchmark>,
}

/// A moving gradient, so the encoder has real work.
fn frame(i: u32) -> YUVBuffer {
    let mut rgb = vec![0u8; BENCH_W * BENCH_H * 3];
    for y in 0..BENCH_H {
        for x in 0..BENCH_W {
            let o = (y * BENCH_W + x) * 3;
            let v = (x + y + i as usize * 8) as u8;
            rgb[o] = v;
            rgb[o + 1] = (x as u8) ^ (i as u8);
            rgb[o + 2] = (y as u8).wrapping_add(v / 2);
        }
    }
    YUVBuffer::from_rgb8_source(openh264::formats::RgbSliceU8::new(&rgb, (BENCH_W, BENCH_H)))
}

fn bench() -> anyhow::Result<Benchmark> {
    let frames: Vec<YUVBuffer> = (0..8).map(frame).collect();
    let mut enc = H264Encoder::open(BENCH_W, BENCH_H, 10.0, 2_000_000)?;
    let t0 = Instant::now();
    let mut n = 0;
    let mut bytes = 0;
    while n < BENCH_MAX_FRAMES && t0.elapsed() < BENCH_MAX_TIME {
        bytes += enc.encode(&frames[n as usize % frames.len()], false)?.len();
        n += 1;
    }
    anyhow::ensure!(bytes > 0, "the encoder produced nothing");
    Ok(Benchmark {
        width: BENCH_W,
        height: BENCH_H,
        frames: n,
        seconds: t0.elapsed().as_secs_f64(),
        encoder: "openh264".into(),
    })
}

fn ffmpeg_on_path() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("ffmpeg").is_file()))
}

/// Runs the probe and the encode (blocking: call from a blocking thread).
pub fn run() -> TranscodingCheck {
    let m2m: Vec<M2mDevice> = probe::m2m_devices();
    let selection = encoder::select(&m2m);
    let cores = probe::cores();
    let memory_mb = probe::memory_mb();
    let mut warnings = Vec::new();
    let bench = match bench() {
        Ok(b) => Some(b),
        Err(e) => {
            warnings.push(format!("the H.264 test encode failed: {e}"));
            None
        }
    };
    let estimated_fps = bench.as_ref().map_or(0.0, |b| {
        (b.frames as f64 / b.seconds.max(1e-6) * 10.0).round() / 10.0
    });
    let by_cpu = ((cores.saturating_sub(1).max(1)) as f64 * estimated_fps / STREAM_FPS).floor();
    let by_memory = (memory_mb / 2 / STREAM_MEMORY_MB) as f64;
    let max_concurrent = by_cpu.min(by_memory).max(0.0) as u32;
    if let Some(note) = &selection.note {
        warnings.push(note.clone());
    }
    if m2m.iter().all(|d| d.encodes.is_empty()) {
        warnings.push("no hardware video encoder: live transcoding runs in software".into());
    }
    if bench.is_some() && max_concurrent == 0 {
        warnings.push(format!(
            "software encoding reaches {estimated_fps} fps at 720p on one core: too slow for a live 720p {STREAM_FPS} fps transcode"
        ));
    }
    let hevc_hw = m2m.iter().find(|d| d.encodes.iter().any(|f| f == "HEVC"));
    if hevc_hw.is_none() {
        warnings.push("no H.265 encoder (H.265 cameras are remuxed, never re-encoded)".into());
    }
    let mut devices = vec![Device {
        kind: "cpu".into(),
        name: probe::cpu_model(),
        path: None,
        driver: None,
        encodes: None,
    }];
    devices.extend(m2m.iter().map(|d| Device {
        kind: "v4l2_m2m".into(),
        name: d.name.clone(),
        path: Some(d.path.clone()),
        driver: Some(d.driver.clone()),
        encodes: Some(d.encodes.clone()),
    }));
    TranscodingCheck {
        supported: bench.is_some(),
        ffmpeg_status: if ffmpeg_on_path() {
            "available"
        } else {
            "not_installed"
        }
        .into(),
        encoders: Encoders {
            h264: if bench.is_some() {
                selection.name.clone()
            } else {
                String::new()
            },
            h265: String::new(),
        },
        warnings,
        max_concurrent,
        estimated_fps,
        total_cores: cores,
        total_memory_mb: memory_mb,
        h264_encoder_type: if bench.is_some() {
            selection.kind
        } else {
            "none"
        }
        .into(),
        h265_encoder_type: "none".into(),
        devices,
        benchmark: bench,
    }
}
