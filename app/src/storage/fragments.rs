//! The one walker over a media file's fragments (moof + mdat pairs), used by crash recovery,
//! downloads, frame listing, orphan adoption and `check`. Every box header and length is
//! checked against the walked range before anything is allocated or read, and every sample
//! a moof describes must lie inside its mdat, so a truncated or hostile file ends the walk
//! with an error: never a huge allocation, never a read outside the fragment.

use crate::media::fmp4::{self, FragmentInfo};
use std::fs::File;
use std::os::unix::fs::FileExt;

/// Largest moof accepted (ours are a few KiB: 300 frames of video and their audio).
pub const MAX_MOOF_BYTES: u64 = 1 << 20;

/// One fragment found in a file.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The moof's bytes as stored.
    pub moof: Vec<u8>,
    /// Offset of the mdat box and its total length (header included).
    pub mdat_offset: u64,
    pub mdat_len: u64,
    pub info: FragmentInfo,
}

impl Fragment {
    /// Offset just past this fragment.
    pub fn end(&self) -> u64 {
        self.info.offset + self.info.len
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("reading the media file: {0}")]
    Io(#[from] std::io::Error),
    /// The range ends inside a fragment (a torn write, or a range that is not whole fragments).
    #[error("incomplete fragment at byte {0}")]
    Truncated(u64),
    #[error("invalid fragment at byte {at}: {why}")]
    Invalid { at: u64, why: String },
}

impl From<WalkError> for std::io::Error {
    fn from(e: WalkError) -> Self {
        match e {
            WalkError::Io(e) => e,
            e => std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        }
    }
}

/// The fragments of `file` from `from` until `end` (exclusive). Stops after the first error.
pub fn walk(file: &File, from: u64, end: u64) -> Fragments<'_> {
    Fragments {
        file,
        offset: from,
        end,
        done: false,
    }
}

pub struct Fragments<'a> {
    file: &'a File,
    offset: u64,
    end: u64,
    done: bool,
}

impl Fragments<'_> {
    /// Where the next fragment would start: after a failed walk, the end of the good ones.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn next_fragment(&mut self) -> Result<Fragment, WalkError> {
        let at = self.offset;
        let invalid = |why: &str| WalkError::Invalid {
            at,
            why: why.to_string(),
        };
        let moof_len = read_box(self.file, at, self.end, b"moof")?;
        if !(16..=MAX_MOOF_BYTES).contains(&moof_len) {
            return Err(invalid("moof size out of bounds"));
        }
        let mdat_at = at + moof_len;
        // A torn fragment is reported where it starts.
        let mdat_len = read_box(self.file, mdat_at, self.end, b"mdat").map_err(|e| match e {
            WalkError::Truncated(_) => WalkError::Truncated(at),
            e => e,
        })?;
        if mdat_len < 8 {
            return Err(invalid("mdat size out of bounds"));
        }
        if mdat_len > self.end - mdat_at {
            return Err(WalkError::Truncated(at));
        }
        let mut moof = vec![0u8; moof_len as usize];
        self.file.read_exact_at(&mut moof, at)?;
        let info = fmp4::parse_moof(&moof, at, moof_len + mdat_len)
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(Fragment {
            moof,
            mdat_offset: mdat_at,
            mdat_len,
            info,
        })
    }
}

impl Iterator for Fragments<'_> {
    type Item = Result<Fragment, WalkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.end {
            return None;
        }
        match self.next_fragment() {
            Ok(f) => {
                self.offset = f.end();
                Some(Ok(f))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Reads the header of a box of `kind` at `at` that must end by `end`; returns its size.
fn read_box(file: &File, at: u64, end: u64, kind: &[u8; 4]) -> Result<u64, WalkError> {
    let mut head = [0u8; 16];
    if end.saturating_sub(at) < 8 {
        return Err(WalkError::Truncated(at));
    }
    let n = (end - at).min(16) as usize;
    file.read_exact_at(&mut head[..n], at)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => WalkError::Truncated(at),
            _ => WalkError::Io(e),
        })?;
    let Some((k, size, _)) = fmp4::box_header(&head[..n]) else {
        return Err(WalkError::Truncated(at));
    };
    if &k != kind {
        return Err(WalkError::Invalid {
            at,
            why: format!(
                "expected {} box, found {:?}",
                String::from_utf8_lossy(kind),
                String::from_utf8_lossy(&k)
            ),
        });
    }
    if size > end - at {
        return Err(WalkError::Truncated(at));
    }
    Ok(size)
}

/// A fragment (`moof` box) starts at `offset` of `file`.
pub fn fragment_at(file: &File, offset: u64) -> bool {
    let mut head = [0u8; 8];
    file.read_exact_at(&mut head, offset).is_ok()
        && matches!(fmp4::box_header(&head), Some((k, _, _)) if &k == b"moof")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::fmp4::{SampleMeta, TrackRun, VIDEO_TRACK_ID};
    use bytes::Bytes;
    use std::io::Write;

    fn fragment(seq: u32, frames: &[&[u8]]) -> Vec<u8> {
        let data: Vec<Bytes> = frames.iter().map(|f| Bytes::copy_from_slice(f)).collect();
        let samples: Vec<SampleMeta> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| SampleMeta {
                duration: 3000,
                size: f.len() as u32,
                is_sync: i == 0,
                cts: 0,
            })
            .collect();
        fmp4::fragment(
            seq,
            &[TrackRun {
                track_id: VIDEO_TRACK_ID,
                base_decode_time: seq as u64 * 9000,
                samples: &samples,
                data: &data,
            }],
        )
        .unwrap()
    }

    fn file_of(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut t = tempfile::NamedTempFile::new().unwrap();
        t.write_all(bytes).unwrap();
        let f = File::open(t.path()).unwrap();
        (t, f)
    }

    #[test]
    fn walks_whole_fragments_and_stops_at_a_torn_one() {
        let mut bytes = b"prefix!!".to_vec();
        let frags: Vec<Vec<u8>> = (0..3)
            .map(|i| fragment(i, &[b"key frame", b"p1", b"p2"]))
            .collect();
        for f in &frags {
            bytes.extend_from_slice(f);
        }
        let whole = bytes.len() as u64;
        // Every cut: the walk yields the complete fragments before it, then (inside a
        // fragment) one Truncated error, and its offset is the end of the good ones.
        for cut in 8..=whole {
            let (_t, f) = file_of(&bytes[..cut as usize]);
            let mut w = walk(&f, 8, cut);
            let mut good = 0;
            let mut err = None;
            for r in w.by_ref() {
                match r {
                    Ok(_) => good += 1,
                    Err(e) => err = Some(e),
                }
            }
            let mut end = 8u64;
            let mut expect = 0;
            for fr in &frags {
                if end + fr.len() as u64 <= cut {
                    end += fr.len() as u64;
                    expect += 1;
                }
            }
            assert_eq!(good, expect, "cut {cut}");
            assert_eq!(w.offset(), end, "cut {cut}");
            assert_eq!(err.is_some(), end != cut, "cut {cut}: {err:?}");
            if let Some(e) = err {
                assert!(matches!(e, WalkError::Truncated(_)), "cut {cut}: {e}");
            }
        }
    }

    #[test]
    fn hostile_sizes_are_refused_without_allocating() {
        // A moof claiming 4 GiB, a moof of 2 bytes, an mdat claiming more than the file.
        let (_t, f) = file_of(&[0xff, 0xff, 0xff, 0xf0, b'm', b'o', b'o', b'f']);
        assert!(matches!(walk(&f, 0, 8).next(), Some(Err(_))));
        let mut huge = vec![0u8; 64];
        huge[..8].copy_from_slice(&[0, 0, 0, 2, b'm', b'o', b'o', b'f']);
        let (_t, f) = file_of(&huge);
        assert!(matches!(
            walk(&f, 0, 64).next(),
            Some(Err(WalkError::Invalid { .. }))
        ));
        let mut frag = fragment(1, &[b"abc"]);
        let n = frag.len();
        let moof_len = u32::from_be_bytes(frag[0..4].try_into().unwrap()) as usize;
        frag[moof_len..moof_len + 4].copy_from_slice(&(u32::MAX).to_be_bytes());
        let (_t, f) = file_of(&frag);
        assert!(matches!(
            walk(&f, 0, n as u64).next(),
            Some(Err(WalkError::Truncated(0)))
        ));
        // Samples that run past their mdat.
        let mut frag = fragment(1, &[b"abcdef"]);
        let n = frag.len();
        frag[moof_len..moof_len + 4].copy_from_slice(&(8u32 + 2).to_be_bytes());
        let (_t, f) = file_of(&frag[..moof_len + 10]);
        let r = walk(&f, 0, (moof_len + 10) as u64).next();
        assert!(
            matches!(r, Some(Err(WalkError::Invalid { .. }))),
            "{r:?} {n}"
        );
    }

    #[test]
    fn a_range_that_ends_inside_a_fragment_is_truncated() {
        let frag = fragment(1, &[b"abc", b"de"]);
        let (_t, f) = file_of(&frag);
        let r: Vec<_> = walk(&f, 0, frag.len() as u64 - 1).collect();
        assert!(matches!(r[..], [Err(WalkError::Truncated(0))]));
        assert!(fragment_at(&f, 0));
        assert!(!fragment_at(&f, 4));
    }
}
