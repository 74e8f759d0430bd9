//! Renders the live media playlist (HLS v9 with LL-HLS parts) from a window, and parses the
//! names it hands out (`segment_NNN.ts|m4s`, `part_NNN_I.ts|m4s`, `init.mp4`, `init_G.mp4`).

use super::segment::{Container, Window};
use std::fmt::Write;

/// Parts are listed for segments this close to the live edge.
const PART_SEGMENTS: usize = 3;

pub fn segment_name(container: Container, msn: u64) -> String {
    format!("segment_{msn:03}.{}", container.ext())
}

pub fn part_name(container: Container, msn: u64, part: usize) -> String {
    format!("part_{msn:03}_{part}.{}", container.ext())
}

pub fn init_name(generation: u32) -> String {
    if generation <= 1 {
        "init.mp4".to_string()
    } else {
        format!("init_{generation}.mp4")
    }
}

/// What a stream path names.
#[derive(Debug, PartialEq, Eq)]
pub enum Name {
    Playlist,
    Init(u32),
    Segment(u64),
    Part(u64, usize),
}

pub fn parse_name(name: &str, container: Container) -> Option<Name> {
    if name == "stream.m3u8" || name == "index.m3u8" {
        return Some(Name::Playlist);
    }
    if name == "init.mp4" {
        return Some(Name::Init(1));
    }
    if let Some(g) = name
        .strip_prefix("init_")
        .and_then(|r| r.strip_suffix(".mp4"))
    {
        return digits(g).map(|g| Name::Init(g as u32));
    }
    let stem = name.strip_suffix(&format!(".{}", container.ext()))?;
    if let Some(n) = stem.strip_prefix("segment_") {
        return digits(n).map(Name::Segment);
    }
    let (n, i) = stem.strip_prefix("part_")?.split_once('_')?;
    Some(Name::Part(digits(n)?, digits(i)? as usize))
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn secs(d_90k: u64) -> f64 {
    d_90k as f64 / 90_000.0
}

pub fn render(w: &Window) -> String {
    let c = w.container;
    let complete: Vec<_> = w.complete().collect();
    let target = complete
        .iter()
        .map(|s| secs(s.duration_90k()).round() as u64)
        .max()
        .unwrap_or(2)
        .max(2);
    let part_target = secs(w.max_part_90k.max(18_000));
    let mut out = String::with_capacity(2048);
    let _ = writeln!(out, "#EXTM3U");
    let _ = writeln!(out, "#EXT-X-VERSION:9");
    let _ = writeln!(out, "#EXT-X-TARGETDURATION:{target}");
    let _ = writeln!(
        out,
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={:.3}",
        part_target * 3.0
    );
    let _ = writeln!(out, "#EXT-X-PART-INF:PART-TARGET={part_target:.3}");
    let first = w.segments.front().map_or(0, |s| s.msn);
    let _ = writeln!(out, "#EXT-X-MEDIA-SEQUENCE:{first}");
    let _ = writeln!(out, "#EXT-X-DISCONTINUITY-SEQUENCE:{}", w.discontinuity_seq);
    let parts_from = w.segments.len().saturating_sub(PART_SEGMENTS + 1);
    let mut map_gen = None;
    for (i, s) in w.segments.iter().enumerate() {
        if s.discontinuity && i > 0 {
            let _ = writeln!(out, "#EXT-X-DISCONTINUITY");
        }
        if c == Container::Fmp4 && map_gen != Some(s.init_gen) {
            let _ = writeln!(out, "#EXT-X-MAP:URI=\"{}\"", init_name(s.init_gen));
            map_gen = Some(s.init_gen);
        }
        if let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(s.start_wall_ns as i128)
            && let Ok(t) = t.format(&time::format_description::well_known::Rfc3339)
        {
            let _ = writeln!(out, "#EXT-X-PROGRAM-DATE-TIME:{t}");
        }
        if i >= parts_from {
            for (pi, p) in s.parts.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "#EXT-X-PART:DURATION={:.3},URI=\"{}\"{}",
                    secs(p.duration_90k),
                    part_name(c, s.msn, pi),
                    if p.independent {
                        ",INDEPENDENT=YES"
                    } else {
                        ""
                    }
                );
            }
        }
        if s.complete {
            let _ = writeln!(out, "#EXTINF:{:.3},", secs(s.duration_90k()));
            let _ = writeln!(out, "{}", segment_name(c, s.msn));
        } else {
            let _ = writeln!(
                out,
                "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"{}\"",
                part_name(c, s.msn, s.parts.len())
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let c = Container::Ts;
        assert_eq!(parse_name("stream.m3u8", c), Some(Name::Playlist));
        assert_eq!(parse_name("index.m3u8", c), Some(Name::Playlist));
        assert_eq!(parse_name(&segment_name(c, 7), c), Some(Name::Segment(7)));
        assert_eq!(parse_name(&part_name(c, 12, 3), c), Some(Name::Part(12, 3)));
        assert_eq!(parse_name("init.mp4", c), Some(Name::Init(1)));
        assert_eq!(parse_name(&init_name(4), c), Some(Name::Init(4)));
        for bad in [
            "segment_.ts",
            "segment_1.m4s",
            "segment_-1.ts",
            "segment_1.ts.bak",
            "part_1.ts",
            "stream.m3u",
            "",
            "segment_99999999999999.ts",
        ] {
            assert_eq!(parse_name(bad, c), None, "{bad}");
        }
        assert_eq!(
            parse_name("segment_001.m4s", Container::Fmp4),
            Some(Name::Segment(1))
        );
    }
}
