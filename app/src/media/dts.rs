//! Decode times for streams whose frames arrive out of presentation order (B-frames): the
//! RTP timestamp of a frame is its presentation time (pts), frames arrive in decode order,
//! and MP4 stores a decode time per sample plus a signed composition offset (trun version 1).
//!
//! Within one GOP (decode order, starting at a random access point) the decode times are the
//! GOP's presentation times sorted: the k-th frame decoded gets the k-th earliest pts. Across
//! GOPs the decode timeline is continuous (each GOP starts where the last ended), and the last
//! frame of a GOP lasts until the next GOP's earliest pts (its key frame's, or in an open GOP
//! its leading pictures': the GOP assembler waits for them before it queues a GOP). A stream
//! without reordering thus gets decode time == presentation time and zero offsets, exactly
//! as before.

/// One GOP's placement on the decode timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Decode time of the first frame (90 kHz, the run's media time).
    pub first_dts_90k: i64,
    /// Per frame, in decode order: (duration on the decode timeline, pts − dts).
    pub samples: Vec<(u32, i32)>,
    /// Decode time just after the last frame: where the next GOP starts.
    pub end_dts_90k: i64,
}

/// The decode timeline of one run.
#[derive(Debug, Clone, Default)]
pub struct DecodeTimeline {
    next_dts_90k: Option<i64>,
}

/// Longest duration given to one frame (an outage inside a session ends the run before this).
pub const MAX_FRAME_DURATION_90K: i64 = 90_000 * 10;
/// Used when a GOP of one frame ends a run (no interval to repeat).
const DEFAULT_FRAME_90K: i64 = 3000;

impl DecodeTimeline {
    /// No GOP placed yet.
    pub fn is_empty(&self) -> bool {
        self.next_dts_90k.is_none()
    }

    /// Places one GOP: `pts` in decode order; `next_pts` is the earliest pts of the GOP that
    /// follows, `None` at the end of a run.
    pub fn place(&mut self, pts: &[i64], next_pts: Option<i64>) -> Placement {
        if pts.is_empty() {
            let at = self.next_dts_90k.unwrap_or(0);
            return Placement {
                first_dts_90k: at,
                samples: Vec::new(),
                end_dts_90k: at,
            };
        }
        let mut sorted = pts.to_vec();
        sorted.sort_unstable();
        let first = self.next_dts_90k.unwrap_or(sorted[0]);
        let n = sorted.len();
        // Decode times: the sorted pts, shifted so the GOP starts where the timeline is.
        let dts: Vec<i64> = sorted.iter().map(|p| first + (p - sorted[0])).collect();
        let typical = if n >= 2 {
            let mut steps: Vec<i64> = sorted.windows(2).map(|w| w[1] - w[0]).collect();
            steps.sort_unstable();
            steps[steps.len() / 2].max(1)
        } else {
            DEFAULT_FRAME_90K
        };
        let last_end = match next_pts {
            // The next GOP's earliest pts, projected onto this timeline.
            Some(next) => first + (next - sorted[0]),
            None => dts[n - 1] + typical,
        };
        let last_end = last_end.clamp(dts[n - 1] + 1, dts[n - 1] + MAX_FRAME_DURATION_90K);
        let samples = (0..n)
            .map(|i| {
                let end = if i + 1 < n { dts[i + 1] } else { last_end };
                let duration = (end - dts[i]).clamp(0, u32::MAX as i64) as u32;
                let cts = (pts[i] - dts[i]).clamp(i32::MIN as i64, i32::MAX as i64) as i32;
                (duration, cts)
            })
            .collect();
        self.next_dts_90k = Some(last_end);
        Placement {
            first_dts_90k: first,
            samples,
            end_dts_90k: last_end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Presentation times of a stream with `b` B-frames between references, in decode
    /// order: I P B B P B B ... (frame interval 3000), GOP of `gop` frames, `gops` GOPs.
    fn decode_order(b: usize, gop: usize, gops: usize) -> Vec<Vec<i64>> {
        let mut out = Vec::new();
        for g in 0..gops {
            let base = (g * gop) as i64 * 3000;
            let mut order = vec![base];
            let mut i = 1;
            while i < gop {
                let next_ref = (i + b).min(gop - 1);
                order.push(base + next_ref as i64 * 3000);
                for j in i..next_ref {
                    order.push(base + j as i64 * 3000);
                }
                i = next_ref + 1;
            }
            out.push(order);
        }
        out
    }

    fn check_stream(gops: &[Vec<i64>]) {
        let mut tl = DecodeTimeline::default();
        let mut prev_end = None;
        let mut all_dts = Vec::new();
        for (k, g) in gops.iter().enumerate() {
            let next = gops.get(k + 1).and_then(|n| n.iter().min().copied());
            let p = tl.place(g, next);
            if let Some(e) = prev_end {
                assert_eq!(p.first_dts_90k, e, "GOP {k} continues the timeline");
            }
            let mut dts = p.first_dts_90k;
            for (i, (d, cts)) in p.samples.iter().enumerate() {
                assert_eq!(
                    dts + *cts as i64,
                    g[i],
                    "GOP {k} frame {i}: pts kept exactly"
                );
                all_dts.push(dts);
                assert!(*d > 0, "GOP {k} frame {i}: positive duration");
                dts += *d as i64;
            }
            assert_eq!(dts, p.end_dts_90k);
            prev_end = Some(p.end_dts_90k);
        }
        assert!(all_dts.windows(2).all(|w| w[0] < w[1]), "monotonic dts");
        {
            // Every frame lasts one interval, leading pictures or not.
            let mut tl = DecodeTimeline::default();
            for (k, g) in gops.iter().enumerate() {
                let p = tl.place(g, gops.get(k + 1).and_then(|n| n.iter().min().copied()));
                assert!(p.samples.iter().all(|(d, _)| *d == 3000), "{:?}", p.samples);
            }
        }
    }

    #[test]
    fn without_reordering_dts_is_pts() {
        let gops = decode_order(0, 30, 4);
        let mut tl = DecodeTimeline::default();
        for (k, g) in gops.iter().enumerate() {
            let p = tl.place(g, gops.get(k + 1).map(|n| n[0]));
            assert_eq!(p.first_dts_90k, g[0]);
            assert!(p.samples.iter().all(|&(d, c)| d == 3000 && c == 0));
        }
        check_stream(&gops);
    }

    #[test]
    fn b_frames_get_sorted_decode_times_and_offsets() {
        for b in 1..=3 {
            let gops = decode_order(b, 31, 5);
            check_stream(&gops);
        }
        // I P B B: decode 0, 9000, 3000, 6000 → dts 0, 3000, 6000, 9000.
        let mut tl = DecodeTimeline::default();
        let p = tl.place(&[0, 9000, 3000, 6000], Some(12_000));
        assert_eq!(
            p.samples,
            vec![(3000, 0), (3000, 6000), (3000, -3000), (3000, -3000)]
        );
    }

    #[test]
    fn open_gops_with_leading_pictures() {
        // CRA at 12 frames, two leading B pictures before it in output order, decoded after.
        let gops: Vec<Vec<i64>> = (0..5)
            .map(|g| {
                let base = g * 12 * 3000;
                let mut v = vec![base + 2 * 3000, base, base + 3000];
                v.extend((3..12).map(|i| base + i * 3000));
                v
            })
            .collect();
        check_stream(&gops);
    }

    #[test]
    fn a_run_ends_with_the_typical_interval_and_bounds_hold() {
        let mut tl = DecodeTimeline::default();
        let p = tl.place(&[0, 3000, 6000], None);
        assert_eq!(p.samples.last().unwrap().0, 3000);
        let mut tl = DecodeTimeline::default();
        // A next key frame an hour away cannot give a frame an hour.
        let p = tl.place(&[0], Some(90_000 * 3600));
        assert_eq!(p.samples[0].0 as i64, MAX_FRAME_DURATION_90K);
        // A next key frame in the past still leaves a positive duration.
        let mut tl = DecodeTimeline::default();
        let p = tl.place(&[10_000, 13_000], Some(5_000));
        assert!(p.samples.iter().all(|(d, _)| *d >= 1));
    }
}
