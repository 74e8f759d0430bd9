//! Fragmented MP4 on mp4-atom: the init segment (ftyp + moov with one video track and an
//! optional audio track), one fragment (moof + mdat) per GOP, and reading fragments back
//! (recovery and downloads). Sample entries come ready-made from retina.

use bytes::Bytes;
use mp4_atom::{
    Codec, Decode, Dinf, Dref, Encode, FourCC, Ftyp, Hdlr, Mdhd, Mdia, Mehd, Mfhd, Minf, Moof,
    Moov, Mvex, Mvhd, Smhd, Stbl, Stco, Stsd, Tfdt, Tfhd, Tkhd, Traf, Trak, Trex, Trun, TrunEntry,
    TrunSamples, Url, Vmhd,
};

pub const VIDEO_TRACK_ID: u32 = 1;
pub const AUDIO_TRACK_ID: u32 = 2;
/// Video media time is in 90 kHz units (RTP's video clock).
pub const VIDEO_TIMESCALE: u32 = 90_000;
/// Sample flags: a sync sample, and a non-sync sample that depends on others.
const FLAGS_SYNC: u32 = 0x0200_0000;
const FLAGS_NON_SYNC: u32 = 0x0101_0000;

#[derive(Debug, thiserror::Error)]
pub enum Fmp4Error {
    #[error("mp4: {0}")]
    Atom(#[from] mp4_atom::Error),
    #[error("mp4: {0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Fmp4Error>;

/// What a track carries, for the init segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSpec {
    /// A complete sample entry box (avc1/hvc1/mp4a...) as retina builds it.
    pub sample_entry: Vec<u8>,
    pub timescale: u32,
    /// Video: pixel size; audio: None.
    pub video_size: Option<(u32, u32)>,
}

fn trak(track_id: u32, spec: &TrackSpec, duration: u64) -> Result<Trak> {
    let codec = Codec::decode(&mut std::io::Cursor::new(&spec.sample_entry))?;
    let (handler, name, vmhd, smhd, width, height, volume) = match spec.video_size {
        Some((w, h)) => (
            b"vide",
            "VideoHandler",
            Some(Vmhd::default()),
            None,
            w,
            h,
            0u8,
        ),
        None => (
            b"soun",
            "SoundHandler",
            None,
            Some(Smhd::default()),
            0,
            0,
            1u8,
        ),
    };
    Ok(Trak {
        tkhd: Tkhd {
            track_id,
            enabled: true,
            in_movie: true,
            duration,
            width: (width.min(u16::MAX as u32) as u16).into(),
            height: (height.min(u16::MAX as u32) as u16).into(),
            volume: volume.into(),
            ..Default::default()
        },
        mdia: Mdia {
            mdhd: Mdhd {
                timescale: spec.timescale,
                language: "und".into(),
                ..Default::default()
            },
            hdlr: Hdlr {
                handler: FourCC::new(handler),
                name: name.into(),
            },
            minf: Minf {
                vmhd,
                smhd,
                dinf: Dinf {
                    dref: Dref {
                        entries: vec![
                            Url {
                                location: String::new(),
                            }
                            .into(),
                        ],
                    },
                },
                stbl: Stbl {
                    stsd: Stsd {
                        codecs: vec![codec],
                    },
                    stco: Some(Stco::default()),
                    ..Default::default()
                },
                ..Default::default()
            },
        },
        ..Default::default()
    })
}

/// ftyp + moov. `duration_ms`, when known (downloads), goes into mvhd and mehd.
pub fn init_segment(
    video: &TrackSpec,
    audio: Option<&TrackSpec>,
    duration_ms: Option<u64>,
) -> Result<Vec<u8>> {
    let ftyp = Ftyp {
        major_brand: FourCC::new(b"iso6"),
        minor_version: 0,
        compatible_brands: vec![
            FourCC::new(b"iso6"),
            FourCC::new(b"cmfc"),
            FourCC::new(b"mp41"),
        ],
    };
    let mut traks = vec![trak(VIDEO_TRACK_ID, video, 0)?];
    let mut trex = vec![Trex {
        track_id: VIDEO_TRACK_ID,
        default_sample_description_index: 1,
        ..Default::default()
    }];
    if let Some(a) = audio {
        traks.push(trak(AUDIO_TRACK_ID, a, 0)?);
        trex.push(Trex {
            track_id: AUDIO_TRACK_ID,
            default_sample_description_index: 1,
            ..Default::default()
        });
    }
    let moov = Moov {
        mvhd: Mvhd {
            timescale: 1000,
            duration: duration_ms.unwrap_or(0),
            rate: 1.into(),
            volume: 1.into(),
            next_track_id: if audio.is_some() { 3 } else { 2 },
            ..Default::default()
        },
        mvex: Some(Mvex {
            mehd: duration_ms.map(|d| Mehd {
                fragment_duration: d,
            }),
            trex,
        }),
        trak: traks,
        ..Default::default()
    };
    let mut buf = Vec::new();
    ftyp.encode(&mut buf)?;
    moov.encode(&mut buf)?;
    Ok(buf)
}

/// One sample's metadata; its bytes travel separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleMeta {
    pub duration: u32,
    pub size: u32,
    pub is_sync: bool,
    /// Composition offset (presentation − decode time); non-zero only with B-frames.
    pub cts: i32,
}

/// A run's sample table and data from `(duration, cts, is_sync, bytes)` per sample, in order.
pub fn samples<'a>(
    frames: impl ExactSizeIterator<Item = (u32, i32, bool, &'a Bytes)>,
) -> (Vec<SampleMeta>, Vec<Bytes>) {
    let mut meta = Vec::with_capacity(frames.len());
    let mut data = Vec::with_capacity(frames.len());
    for (duration, cts, is_sync, bytes) in frames {
        meta.push(SampleMeta {
            duration,
            size: bytes.len() as u32,
            is_sync,
            cts,
        });
        data.push(bytes.clone());
    }
    (meta, data)
}

/// One track's run in a fragment.
pub struct TrackRun<'a> {
    pub track_id: u32,
    pub base_decode_time: u64,
    pub samples: &'a [SampleMeta],
    /// The samples' bytes, concatenated in order.
    pub data: &'a [Bytes],
}

/// moof + the mdat header for the given runs (video first); the samples' bytes follow it
/// as they are (written with one vectored write, never copied into one buffer). Data
/// offsets are relative to the moof.
pub fn fragment_header(seq: u32, runs: &[TrackRun<'_>]) -> Result<Vec<u8>> {
    let mut moof = Moof {
        mfhd: Mfhd {
            sequence_number: seq,
        },
        traf: runs
            .iter()
            .map(|r| {
                // Composition offsets only when a sample needs one (trun version 1, signed).
                let with_cts = r.samples.iter().any(|s| s.cts != 0);
                Traf {
                    tfhd: Tfhd {
                        track_id: r.track_id,
                        default_base_is_moof: true,
                        ..Default::default()
                    },
                    tfdt: Some(Tfdt {
                        base_media_decode_time: r.base_decode_time,
                    }),
                    trun: vec![Trun {
                        data_offset: Some(0),
                        samples: TrunSamples::Explicit(
                            r.samples
                                .iter()
                                .map(|s| TrunEntry {
                                    duration: Some(s.duration),
                                    size: Some(s.size),
                                    flags: Some(if s.is_sync {
                                        FLAGS_SYNC
                                    } else {
                                        FLAGS_NON_SYNC
                                    }),
                                    cts: with_cts.then_some(s.cts as i64),
                                })
                                .collect(),
                        ),
                    }],
                    ..Default::default()
                }
            })
            .collect(),
    };
    let mut probe = Vec::new();
    moof.encode(&mut probe)?;
    let mut offset = probe.len() as u64 + 8; // moof, then the mdat header
    for (traf, run) in moof.traf.iter_mut().zip(runs) {
        traf.trun[0].data_offset = Some(
            i32::try_from(offset).map_err(|_| Fmp4Error::Invalid("fragment too large".into()))?,
        );
        offset += run.data.iter().map(|b| b.len() as u64).sum::<u64>();
    }
    let payload_len: usize = runs
        .iter()
        .flat_map(|r| r.data.iter())
        .map(|b| b.len())
        .sum();
    let mut out = Vec::with_capacity(probe.len() + 8);
    moof.encode(&mut out)?;
    let mdat_len = u32::try_from(payload_len + 8)
        .map_err(|_| Fmp4Error::Invalid("fragment too large".into()))?;
    out.extend_from_slice(&mdat_len.to_be_bytes());
    out.extend_from_slice(b"mdat");
    Ok(out)
}

/// A whole fragment in one buffer (tests and tools; the recorder writes vectored).
pub fn fragment(seq: u32, runs: &[TrackRun<'_>]) -> Result<Vec<u8>> {
    let mut out = fragment_header(seq, runs)?;
    for b in runs.iter().flat_map(|r| r.data.iter()) {
        out.extend_from_slice(b);
    }
    Ok(out)
}

/// A top-level box found while scanning: its type, offset and total size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxRef {
    pub kind: [u8; 4],
    pub offset: u64,
    pub size: u64,
}

/// Reads the box header at `buf[0..]`: (kind, total size, header size). None if incomplete.
pub fn box_header(buf: &[u8]) -> Option<([u8; 4], u64, u64)> {
    if buf.len() < 8 {
        return None;
    }
    let size32 = u32::from_be_bytes(buf[0..4].try_into().ok()?);
    let kind: [u8; 4] = buf[4..8].try_into().ok()?;
    match size32 {
        1 => {
            if buf.len() < 16 {
                return None;
            }
            Some((kind, u64::from_be_bytes(buf[8..16].try_into().ok()?), 16))
        }
        0 => None, // "to end of file": never written by us; treat as torn
        n => Some((kind, n as u64, 8)),
    }
}

/// What a fragment says about itself (from its moof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentInfo {
    /// Offset of the moof in the file, and moof + mdat total length.
    pub offset: u64,
    pub len: u64,
    pub moof_len: u64,
    pub video_decode_time: u64,
    pub video_duration: u64,
    pub video_frames: u32,
    pub starts_with_sync: bool,
}

/// Parses a moof's bytes into its summary (video track only matters for the index).
/// `total_len` is moof + mdat: every sample the moof describes must lie in the mdat's
/// payload (data offsets relative to the moof, as we write them).
pub fn parse_moof(moof_bytes: &[u8], offset: u64, total_len: u64) -> Result<FragmentInfo> {
    let moof = Moof::decode(&mut std::io::Cursor::new(moof_bytes))?;
    let payload_start = moof_bytes.len() as u64 + 8;
    for traf in &moof.traf {
        if !traf.tfhd.default_base_is_moof {
            return Err(Fmp4Error::Invalid(
                "data offsets not relative to the moof".into(),
            ));
        }
        for trun in &traf.trun {
            let start = trun
                .data_offset
                .ok_or_else(|| Fmp4Error::Invalid("trun without a data offset".into()))?;
            let size: u64 = trun
                .samples
                .iter()
                .map(|e| e.size.or(traf.tfhd.default_sample_size).unwrap_or(0) as u64)
                .sum();
            let start = u64::try_from(start)
                .map_err(|_| Fmp4Error::Invalid("negative data offset".into()))?;
            if start < payload_start || start.saturating_add(size) > total_len {
                return Err(Fmp4Error::Invalid("samples outside the mdat".into()));
            }
        }
    }
    let traf = moof
        .traf
        .iter()
        .find(|t| t.tfhd.track_id == VIDEO_TRACK_ID)
        .ok_or_else(|| Fmp4Error::Invalid("fragment without video".into()))?;
    let base = traf
        .tfdt
        .as_ref()
        .map(|t| t.base_media_decode_time)
        .unwrap_or(0);
    let mut duration = 0u64;
    let mut frames = 0u32;
    let mut first_sync = false;
    for trun in &traf.trun {
        if let TrunSamples::Explicit(entries) = &trun.samples {
            for (i, e) in entries.iter().enumerate() {
                duration += e.duration.unwrap_or(0) as u64;
                if frames == 0 && i == 0 {
                    first_sync = e.flags.map(|f| f & 0x0001_0000 == 0).unwrap_or(false);
                }
                frames += 1;
            }
        }
    }
    Ok(FragmentInfo {
        offset,
        len: total_len,
        moof_len: moof_bytes.len() as u64,
        video_decode_time: base,
        video_duration: duration,
        video_frames: frames,
        starts_with_sync: first_sync,
    })
}

/// The video samples of a fragment: (offset from the moof's start, size, duration).
pub fn video_samples(moof_bytes: &[u8]) -> Result<Vec<(u64, u32, u32)>> {
    let moof = Moof::decode(&mut std::io::Cursor::new(moof_bytes))?;
    let traf = moof
        .traf
        .iter()
        .find(|t| t.tfhd.track_id == VIDEO_TRACK_ID)
        .ok_or_else(|| Fmp4Error::Invalid("fragment without video".into()))?;
    let mut out = Vec::new();
    for trun in &traf.trun {
        let mut pos = trun.data_offset.unwrap_or(0).max(0) as u64;
        if let TrunSamples::Explicit(entries) = &trun.samples {
            for e in entries {
                let size = e.size.unwrap_or(0);
                out.push((pos, size, e.duration.unwrap_or(0)));
                pos += size as u64;
            }
        }
    }
    Ok(out)
}

/// Rewrites a moof so every track's decode time is shifted down by `shift(track_id)`
/// (downloads start each track at its recording's start). Keeps data offsets right if the
/// box changes size.
pub fn rebase_moof(moof_bytes: &[u8], seq: u32, shift: impl Fn(u32) -> u64) -> Result<Vec<u8>> {
    let mut moof = Moof::decode(&mut std::io::Cursor::new(moof_bytes))?;
    moof.mfhd.sequence_number = seq;
    for traf in &mut moof.traf {
        let s = shift(traf.tfhd.track_id);
        if let Some(t) = traf.tfdt.as_mut() {
            t.base_media_decode_time = t.base_media_decode_time.saturating_sub(s);
        }
    }
    let mut out = Vec::with_capacity(moof_bytes.len());
    moof.encode(&mut out)?;
    if out.len() != moof_bytes.len() {
        let delta = out.len() as i64 - moof_bytes.len() as i64;
        for traf in &mut moof.traf {
            for trun in &mut traf.trun {
                if let Some(o) = trun.data_offset.as_mut() {
                    *o = (*o as i64 + delta) as i32;
                }
            }
        }
        out.clear();
        moof.encode(&mut out)?;
    }
    Ok(out)
}

/// Decodes the moov of an init segment, for building a download's init with a duration.
pub fn parse_init(init: &[u8]) -> Result<(TrackSpec, Option<TrackSpec>)> {
    let mut cur = std::io::Cursor::new(init);
    let _ftyp = Ftyp::decode(&mut cur)?;
    let moov = Moov::decode(&mut cur)?;
    let mut video = None;
    let mut audio = None;
    for t in &moov.trak {
        let codec = t
            .mdia
            .minf
            .stbl
            .stsd
            .codecs
            .first()
            .ok_or_else(|| Fmp4Error::Invalid("empty stsd".into()))?;
        let mut entry = Vec::new();
        codec.encode(&mut entry)?;
        let spec = TrackSpec {
            sample_entry: entry,
            timescale: t.mdia.mdhd.timescale,
            video_size: t.mdia.minf.vmhd.as_ref().map(|_| {
                (
                    t.tkhd.width.integer() as u32,
                    t.tkhd.height.integer() as u32,
                )
            }),
        };
        if spec.video_size.is_some() {
            video = Some(spec)
        } else {
            audio = Some(spec)
        }
    }
    Ok((
        video.ok_or_else(|| Fmp4Error::Invalid("init without video".into()))?,
        audio,
    ))
}

/// A sidx for a download: one reference per fragment (size, duration, starts with a key frame).
pub fn sidx(timescale: u32, first_offset: u64, refs: &[(u32, u32, bool)]) -> Result<Vec<u8>> {
    let sidx = mp4_atom::Sidx {
        reference_id: VIDEO_TRACK_ID,
        timescale,
        earliest_presentation_time: 0,
        first_offset,
        references: refs
            .iter()
            .map(|&(size, duration, sap)| mp4_atom::SegmentReference {
                reference_type: false,
                referenced_size: size,
                subsegment_duration: duration,
                starts_with_sap: sap,
                sap_type: if sap { 1 } else { 0 },
                sap_delta_time: 0,
            })
            .collect(),
    };
    let mut out = Vec::new();
    sidx.encode(&mut out)?;
    Ok(out)
}

/// Each track's base decode time in a moof: (track id, tfdt).
pub fn decode_times(moof_bytes: &[u8]) -> Result<Vec<(u32, u64)>> {
    let moof = Moof::decode(&mut std::io::Cursor::new(moof_bytes))?;
    Ok(moof
        .traf
        .iter()
        .map(|t| {
            (
                t.tfhd.track_id,
                t.tfdt
                    .as_ref()
                    .map(|d| d.base_media_decode_time)
                    .unwrap_or(0),
            )
        })
        .collect())
}
