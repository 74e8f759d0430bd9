//! The time model (see design/time.md). Frame times are media time: RTP timestamps in
//! 90 kHz units, monotonic and gap-free within a run. A run is anchored once to the wall
//! clock (the system time at its first frame) and from then on follows the *monotonic*
//! clock: each recording's wall duration is its media duration corrected toward the
//! monotonic clock by at most `MAX_SLEW_PPM`. Consecutive recordings of a run therefore
//! neither overlap nor leave gaps, a camera whose clock drifts cannot drag timestamps away,
//! and a step of the system clock (NTP after boot on a board without RTC) is detected and
//! ends the run instead of corrupting its times.

/// Largest correction applied to a recording's duration, in parts per million.
pub const MAX_SLEW_PPM: i64 = 500;
/// A disagreement between the system clock and the monotonic clock beyond this means the
/// system clock was stepped.
pub const CLOCK_STEP_THRESHOLD_NS: i64 = 2_000_000_000;

const NS_PER_SEC: i64 = 1_000_000_000;

pub fn ticks_90k_to_ns(ticks: i64) -> i64 {
    (ticks as i128 * NS_PER_SEC as i128 / 90_000) as i64
}

/// One run's mapping of media time to wall time.
#[derive(Debug, Clone)]
pub struct RunClock {
    anchor_wall_ns: i64,
    anchor_mono_ns: i64,
    /// Wall start of the next recording and the media time it starts at.
    next_wall_ns: i64,
    next_media_90k: i64,
}

/// A closed recording's wall placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallSpan {
    pub start_ns: i64,
    pub duration_ns: i64,
}

impl RunClock {
    /// `wall_ns`/`mono_ns`: system and monotonic clocks when the run's first frame arrived;
    /// `media_90k`: that frame's media time.
    pub fn new(wall_ns: i64, mono_ns: i64, media_90k: i64) -> Self {
        Self {
            anchor_wall_ns: wall_ns,
            anchor_mono_ns: mono_ns,
            next_wall_ns: wall_ns,
            next_media_90k: media_90k,
        }
    }

    /// The wall time at which the next recording starts.
    pub fn next_start_ns(&self) -> i64 {
        self.next_wall_ns
    }

    /// Closes the current recording at media time `end_media_90k` (exclusive), observed at
    /// monotonic time `mono_ns`. Returns its wall span; the next recording starts at its end.
    pub fn close_recording(&mut self, end_media_90k: i64, mono_ns: i64) -> WallSpan {
        let media_ns = ticks_90k_to_ns(end_media_90k - self.next_media_90k).max(0);
        let local_end_ns = self.anchor_wall_ns + (mono_ns - self.anchor_mono_ns);
        let error_ns = local_end_ns - (self.next_wall_ns + media_ns);
        let max_ns = (media_ns as i128 * MAX_SLEW_PPM as i128 / 1_000_000) as i64;
        let duration_ns = media_ns + error_ns.clamp(-max_ns, max_ns);
        let span = WallSpan {
            start_ns: self.next_wall_ns,
            duration_ns,
        };
        self.next_wall_ns += duration_ns;
        self.next_media_90k = end_media_90k;
        span
    }

    /// True when the system clock no longer agrees with the monotonic clock since the
    /// anchor: it was stepped, and the run must end.
    pub fn clock_stepped(&self, wall_ns: i64, mono_ns: i64) -> bool {
        let by_wall = wall_ns - self.anchor_wall_ns;
        let by_mono = mono_ns - self.anchor_mono_ns;
        (by_wall - by_mono).abs() > CLOCK_STEP_THRESHOLD_NS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `hours` of 25 fps video whose camera clock runs `camera_ppm` fast against the
    /// local monotonic clock, cut into 30 s recordings; returns (spans, media ns per span,
    /// local end ns).
    fn simulate(hours: i64, camera_ppm: i64, jitter_ns: i64) -> (Vec<WallSpan>, Vec<i64>, i64) {
        let wall0 = 1_795_000_000 * NS_PER_SEC;
        let mono0 = 5 * NS_PER_SEC;
        let frame_90k = 3600; // 25 fps
        let per_rec = 30 * 25;
        let mut clock = RunClock::new(wall0, mono0, 0);
        let mut spans = Vec::new();
        let mut medias = Vec::new();
        let frames = hours * 3600 * 25;
        let mut last_start = 0;
        let mut local_end = 0;
        for i in (per_rec..=frames).step_by(per_rec as usize) {
            let media_90k = i * frame_90k;
            // Local (monotonic) time at which media time `media_90k` arrives: the camera's
            // clock runs fast, so its media seconds are shorter in local time.
            let media_ns = ticks_90k_to_ns(media_90k);
            let local_ns = media_ns - media_ns / 1_000_000 * camera_ppm;
            let jitter = if (i / per_rec) % 2 == 0 {
                jitter_ns
            } else {
                -jitter_ns
            };
            let span = clock.close_recording(media_90k, mono0 + local_ns + jitter);
            medias.push(ticks_90k_to_ns(media_90k - last_start));
            last_start = media_90k;
            spans.push(span);
            local_end = wall0 + local_ns;
        }
        (spans, medias, local_end)
    }

    #[test]
    fn six_hours_with_drift_stay_within_slew_and_contiguous() {
        for ppm in [-300, 0, 120, 300, 450] {
            let (spans, medias, local_end) = simulate(6, ppm, 20_000_000);
            assert_eq!(spans.len(), 6 * 120);
            for (i, (s, m)) in spans.iter().zip(&medias).enumerate() {
                let adj = (s.duration_ns - m).abs();
                assert!(
                    adj * 1_000_000 <= m * MAX_SLEW_PPM,
                    "ppm {ppm} rec {i}: adj {adj} ns of {m}"
                );
                if i > 0 {
                    let prev = spans[i - 1];
                    assert_eq!(
                        prev.start_ns + prev.duration_ns,
                        s.start_ns,
                        "gap/overlap at {i}"
                    );
                }
            }
            // The timeline tracks the local clock: the end is within 25 ms (jitter 20 ms).
            let end = spans.last().map(|s| s.start_ns + s.duration_ns).unwrap();
            assert!(
                (end - local_end).abs() < 25_000_000,
                "ppm {ppm}: end off by {} ns",
                end - local_end
            );
        }
    }

    #[test]
    fn drift_beyond_the_slew_is_bounded_not_followed() {
        let (spans, medias, local_end) = simulate(6, 2000, 0);
        for (s, m) in spans.iter().zip(&medias) {
            let adj = (s.duration_ns - m).abs();
            assert!(adj * 1_000_000 <= m * MAX_SLEW_PPM);
        }
        let end = spans.last().map(|s| s.start_ns + s.duration_ns).unwrap();
        // 2000 ppm fast camera, 500 ppm corrected: 1500 ppm of 6 h remain ≈ 32.4 s ahead.
        let off = end - local_end;
        assert!((32_000_000_000..33_000_000_000).contains(&off), "{off}");
    }

    #[test]
    fn clock_step_is_detected() {
        let c = RunClock::new(1_000 * NS_PER_SEC, 10 * NS_PER_SEC, 0);
        assert!(!c.clock_stepped(1_100 * NS_PER_SEC, 110 * NS_PER_SEC + 500_000_000));
        assert!(c.clock_stepped(1_100 * NS_PER_SEC + 3 * NS_PER_SEC, 110 * NS_PER_SEC));
        assert!(c.clock_stepped(900 * NS_PER_SEC, 110 * NS_PER_SEC));
    }
}
