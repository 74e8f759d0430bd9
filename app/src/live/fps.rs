//! The live frame-rate cap (`hls_max_fps`) without decoding: a credit of frames earned at the
//! cap's rate. A frame no other frame refers to (H.264 `nal_ref_idc` 0, H.265 sub-layer
//! non-reference types) is dropped when there is no credit. A reference frame is kept while
//! the debt stays under half a second; past that, the rest of the GOP goes and the stream
//! resumes at the next key frame, so every frame sent can still be decoded.

/// Whether the access unit (MP4 framing) is a non-reference picture.
pub fn is_disposable(data: &[u8], h265: bool) -> bool {
    let mut any_slice = false;
    for nal in crate::media::nal_units(data) {
        let Ok(nal) = nal else {
            return false;
        };
        let Some(&b0) = nal.first() else {
            continue;
        };
        if h265 {
            let kind = (b0 >> 1) & 0x3f;
            if kind < 32 {
                any_slice = true;
                // TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N, RSV_VCL_N10/12/14.
                if !matches!(kind, 0 | 2 | 4 | 6 | 8 | 10 | 12 | 14) {
                    return false;
                }
            }
        } else if (1..=5).contains(&(b0 & 0x1f)) {
            any_slice = true;
            if b0 & 0x60 != 0 {
                return false;
            }
        }
    }
    any_slice
}

pub struct FpsCap {
    max_fps: u32,
    credit: f64,
    last_pts_90k: Option<i64>,
    skipping_gop: bool,
}

impl FpsCap {
    pub fn new(max_fps: u32) -> Self {
        Self {
            max_fps,
            credit: 1.0,
            last_pts_90k: None,
            skipping_gop: false,
        }
    }

    /// Whether to keep this frame.
    pub fn keep(&mut self, pts_90k: i64, is_key: bool, disposable: bool) -> bool {
        if self.max_fps == 0 {
            return true;
        }
        let rate = self.max_fps as f64;
        if let Some(last) = self.last_pts_90k {
            let dt = (pts_90k - last).clamp(0, 90_000) as f64 / 90_000.0;
            // At most one second of credit is saved up.
            self.credit = (self.credit + dt * rate).min(rate);
        }
        self.last_pts_90k = Some(pts_90k);
        if is_key {
            self.skipping_gop = false;
            self.credit -= 1.0;
            return true;
        }
        if self.skipping_gop || (disposable && self.credit < 1.0) {
            return false;
        }
        if self.credit < -rate / 2.0 {
            self.skipping_gop = true;
            return false;
        }
        self.credit -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn au(nals: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for n in nals {
            v.extend_from_slice(&(n.len() as u32).to_be_bytes());
            v.extend_from_slice(n);
        }
        v
    }

    #[test]
    fn reference_flags() {
        assert!(is_disposable(&au(&[&[0x01, 0x9a]]), false));
        assert!(!is_disposable(&au(&[&[0x21, 0x9a]]), false));
        assert!(!is_disposable(&au(&[&[0x65, 0x88]]), false));
        assert!(!is_disposable(&au(&[&[0x06, 0x05]]), false), "no slice");
        assert!(is_disposable(&au(&[&[0x00, 0x01]]), true), "TRAIL_N");
        assert!(!is_disposable(&au(&[&[0x02, 0x01]]), true), "TRAIL_R");
    }

    #[test]
    fn disposable_frames_go_first_and_gops_keep_decodable() {
        // 30 fps camera, cap 10, every other frame disposable.
        let mut cap = FpsCap::new(10);
        let mut kept = 0;
        let mut kept_ref = 0;
        for i in 0..300 {
            let key = i % 30 == 0;
            let disposable = !key && i % 2 == 1;
            if cap.keep(i * 3000, key, disposable) {
                kept += 1;
                if !disposable {
                    kept_ref += 1;
                }
            }
        }
        // 10 s at a 10 fps cap; reference frames (15 fps) push a little over.
        assert!((100..=160).contains(&kept), "{kept}");
        assert!(kept_ref > 0);
        // All reference frames only: whole GOP tails go, key frames always stay.
        let mut cap = FpsCap::new(5);
        let mut after_gap = Vec::new();
        for i in 0..300i64 {
            let key = i % 30 == 0;
            if cap.keep(i * 3000, key, false) {
                after_gap.push(i);
            }
        }
        assert!(after_gap.iter().filter(|i| *i % 30 == 0).count() == 10);
        // Kept frames of a GOP are a prefix of it (decodable).
        for w in after_gap.windows(2) {
            assert!(w[1] == w[0] + 1 || w[1] % 30 == 0, "{w:?}");
        }
        let mut off = FpsCap::new(0);
        assert!((0..100).all(|i| off.keep(i * 3000, false, true)));
    }
}
