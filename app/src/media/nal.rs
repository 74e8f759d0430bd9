//! What an access unit's NAL units say about it: whether a decoder can start at it (a random
//! access point, our key frame). retina flags only IDR pictures; H.265 cameras with open
//! GOPs (x265's default, and several vendors') send CRA key frames instead: every IRAP type
//! 16..=23 counts. The pictures that follow a CRA in decode order but precede it in output
//! order (RASL) reference the previous GOP; HEVC decoders starting at the CRA skip them, as
//! the standard says.
//!
//! H.264 open GOPs (I pictures with a recovery point SEI) are not random access points here:
//! their leading B pictures reference the previous GOP and H.264 has no RASL rule, so a
//! recording starting there decodes with errors (ffmpeg: "mmco: unref short failure"). Such
//! cameras are cut at their IDRs only.

/// The access unit (MP4 framing: 4-byte lengths) is a random access point of `codec`
/// (`h264` or `h265`).
pub fn is_random_access(codec: &str, mp4_au: &[u8]) -> bool {
    match codec {
        "h265" => h265_irap(mp4_au),
        // H.264: IDR only, which retina flags itself (see the module comment).
        _ => false,
    }
}

fn nals(au: &[u8]) -> impl Iterator<Item = &[u8]> {
    super::nal_units(au).map_while(Result::ok)
}

/// Every VCL NAL unit (types 0..=31) is an IRAP (16..=23), and there is one.
fn h265_irap(au: &[u8]) -> bool {
    let mut vcl = 0;
    for nal in nals(au) {
        let Some(&h) = nal.first() else { continue };
        let t = (h >> 1) & 0x3f;
        if t < 32 {
            if !(16..=23).contains(&t) {
                return false;
            }
            vcl += 1;
        }
    }
    vcl > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn au(nals: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for n in nals {
            out.extend_from_slice(&(n.len() as u32).to_be_bytes());
            out.extend_from_slice(n);
        }
        out
    }

    #[test]
    fn h265_irap_types_are_key_frames() {
        // NAL header: type << 1, then layer/tid byte.
        let nal = |t: u8| [t << 1, 1, 0xaf, 0x00];
        for t in [16u8, 19, 20, 21] {
            assert!(
                is_random_access("h265", &au(&[&nal(35), &nal(39), &nal(t)])),
                "{t}"
            );
        }
        assert!(!is_random_access("h265", &au(&[&nal(1)])), "TRAIL_R");
        assert!(!is_random_access("h265", &au(&[&nal(8)])), "RASL");
        assert!(
            !is_random_access("h265", &au(&[&nal(21), &nal(1)])),
            "mixed"
        );
        assert!(!is_random_access("h265", &au(&[&nal(39)])), "SEI only");
        assert!(!is_random_access("h265", &au(&[])));
    }

    #[test]
    fn h264_key_frames_are_retinas_idr_only() {
        // An I slice announced by a recovery point SEI (open GOP) is not a key frame here.
        let recovery: &[u8] = &[0x06, 0x06, 0x01, 0xc0, 0x80];
        let i_slice: &[u8] = &[0x21, 0b1000_1000, 0x00];
        assert!(!is_random_access("h264", &au(&[recovery, i_slice])));
        assert!(!is_random_access("mjpeg", &au(&[&[0x65]])));
    }

    #[test]
    fn hostile_input_is_not_a_key_frame_and_does_not_panic() {
        let mut seed = 1u32;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = is_random_access("h265", &bytes);
        }
    }
}
