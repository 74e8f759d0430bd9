//! Fuzzing entry (app/fuzz, target `media_file`): a media file as found on disk after a
//! crash, a restore or tampering goes through every reader of media files — the fragment
//! walker (recovery, downloads, frames, adoption), the moof readers behind downloads and
//! frame lists, and the init segment reader. None may panic, hang or allocate beyond the
//! walker's bounds.

use crate::media::fmp4;
use std::io::Write;

pub fn media_file(data: &[u8]) {
    let Ok(mut f) = tempfile::tempfile() else {
        return;
    };
    if f.write_all(data).is_err() {
        return;
    }
    let len = data.len() as u64;
    // The init segment, as adoption and downloads read it.
    if let Some(init_len) = super::orphans::init_segment_len(data) {
        let _ = fmp4::parse_init(&data[..init_len]);
    }
    // Every start offset a recording could name in the first bytes, then the whole file.
    for from in (0..len.min(64)).chain([len / 2]) {
        for frag in super::fragments::walk(&f, from, len).flatten() {
            let _ = fmp4::video_samples(&frag.moof);
            let _ = fmp4::decode_times(&frag.moof);
            let _ = fmp4::rebase_moof(&frag.moof, 1, |_| 1);
        }
    }
}

#[cfg(test)]
mod tests {
    /// A short deterministic run in `make test`: every seed, truncated every few bytes, and
    /// with bytes flipped (the long campaign is `make fuzz FUZZ_TARGET=media_file`).
    #[test]
    fn seeds_truncations_and_flips_are_read_without_panic() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/media_file");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let data = std::fs::read(e.unwrap().path()).unwrap();
            for cut in (0..data.len()).step_by(97) {
                super::media_file(&data[..cut]);
                n += 1;
            }
            let mut seed = 7u32;
            for _ in 0..300 {
                let mut d = data.clone();
                for _ in 0..4 {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let i = (seed >> 8) as usize % d.len();
                    d[i] ^= (seed >> 24) as u8 | 1;
                }
                super::media_file(&d);
                n += 1;
            }
        }
        assert!(n > 600, "{n} inputs");
    }
}
