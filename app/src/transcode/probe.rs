//! What the box can encode with: V4L2 memory-to-memory devices found by capability (an M2M
//! device whose capture queue produces H.264 or HEVC is an encoder: the Pi 4's
//! bcm2835-codec `/dev/video11`; the Pi 5 has none), the CPU model, cores and memory.

use serde::Serialize;
use std::path::Path;
use utoipa::ToSchema;
use v4l::capability::Flags;
use v4l::v4l_sys;

/// A V4L2 memory-to-memory device.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct M2mDevice {
    pub path: String,
    /// The card name (e.g. `bcm2835-codec-encode`).
    pub name: String,
    pub driver: String,
    /// Compressed formats it produces (`H264`, `HEVC`, ...): non-empty for an encoder.
    pub encodes: Vec<String>,
}

/// Every M2M device under `/dev` (`video0`..`video63`).
pub fn m2m_devices() -> Vec<M2mDevice> {
    (0..64)
        .map(|i| format!("/dev/video{i}"))
        .filter(|p| Path::new(p).exists())
        .filter_map(|p| probe_device(&p))
        .collect()
}

fn probe_device(path: &str) -> Option<M2mDevice> {
    let dev = v4l::Device::with_path(path).ok()?;
    let caps = dev.query_caps().ok()?;
    let mplane = caps.capabilities.contains(Flags::VIDEO_M2M_MPLANE);
    if !mplane && !caps.capabilities.contains(Flags::VIDEO_M2M) {
        return None;
    }
    // The capture queue of an M2M device is its output side.
    let buf_type = if mplane {
        v4l_sys::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
    } else {
        v4l_sys::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE
    };
    let mut encodes = Vec::new();
    for index in 0..64u32 {
        // SAFETY: v4l2_fmtdesc is plain data; zeroed is a valid request to fill in.
        let mut desc: v4l_sys::v4l2_fmtdesc = unsafe { std::mem::zeroed() };
        desc.index = index;
        desc.type_ = buf_type;
        // SAFETY: VIDIOC_ENUM_FMT reads and writes exactly one v4l2_fmtdesc.
        let r = unsafe {
            v4l::v4l2::ioctl(
                dev.handle().fd(),
                v4l::v4l2::vidioc::VIDIOC_ENUM_FMT,
                &mut desc as *mut _ as *mut std::os::raw::c_void,
            )
        };
        if r.is_err() {
            break;
        }
        let fourcc = String::from_utf8_lossy(&desc.pixelformat.to_le_bytes()).to_string();
        if desc.flags & v4l_sys::V4L2_FMT_FLAG_COMPRESSED != 0
            || fourcc == "H264"
            || fourcc == "HEVC"
        {
            encodes.push(fourcc.trim().to_string());
        }
    }
    Some(M2mDevice {
        path: path.to_string(),
        name: caps.card,
        driver: caps.driver,
        encodes,
    })
}

/// The CPU's model as /proc/cpuinfo names it (`model name`, else the Pi's `Model`).
pub fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    for key in ["model name", "Model", "Hardware", "Processor"] {
        if let Some(v) = info
            .lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            return v;
        }
    }
    std::env::consts::ARCH.to_string()
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn memory_mb() -> u64 {
    use procfs::Current;
    procfs::Meminfo::current().map_or(0, |m| m.mem_total / 1024 / 1024)
}
