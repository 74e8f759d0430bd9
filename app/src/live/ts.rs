//! The MPEG-TS muxer of H.264 live segments (HLS): access units to PES packets to 188-byte
//! TS packets on `mpeg2ts`. Video goes in as MP4 framing (length-prefixed NAL units) and
//! leaves as Annex B with an access unit delimiter and, before every key frame, the
//! parameter sets; AAC goes out with ADTS headers. PAT and PMT open every segment, the video
//! PID carries the PCR. Continuity counters run on across parts and segments.

use super::segment::{PartAudio, PartFrame};
use bytes::Bytes;
use mpeg2ts::es::{StreamId, StreamType};
use mpeg2ts::pes::PesHeader;
use mpeg2ts::time::{ClockReference, Timestamp};
use mpeg2ts::ts::payload::{self, Pat, Pmt};
use mpeg2ts::ts::{
    AdaptationField, ContinuityCounter, EsInfo, Pid, ProgramAssociation, TsHeader, TsPacket,
    TsPacketWriter, TsPayload, VersionNumber, WriteTsPacket,
};

const PMT_PID: u16 = 0x1000;
const VIDEO_PID: u16 = 0x100;
const AUDIO_PID: u16 = 0x101;
/// Timestamps start here so that audio slightly ahead of video never goes negative.
pub const PTS_OFFSET_90K: i64 = 126_000;
const AUD_H264: [u8; 6] = [0, 0, 0, 1, 0x09, 0xf0];

pub struct TsMuxer {
    param_sets: Vec<Bytes>,
    /// (object type, sampling frequency index, channel configuration) of AAC audio.
    adts: Option<(u8, u8, u8)>,
    counters: [ContinuityCounter; 4],
}

impl TsMuxer {
    pub fn new(param_sets: Vec<Bytes>, audio_config: Option<&[u8]>) -> Self {
        let adts = audio_config.filter(|c| c.len() >= 2).map(|c| {
            (
                c[0] >> 3,
                ((c[0] & 0x07) << 1) | (c[1] >> 7),
                (c[1] >> 3) & 0x0f,
            )
        });
        Self {
            param_sets,
            adts,
            counters: Default::default(),
        }
    }

    /// One part's bytes; `segment_start` puts PAT and PMT first.
    pub fn mux(
        &mut self,
        frames: &[PartFrame],
        audio: &[PartAudio],
        segment_start: bool,
    ) -> anyhow::Result<Bytes> {
        let mut w = TsPacketWriter::new(Vec::with_capacity(
            frames.iter().map(|f| f.data.len()).sum::<usize>() * 105 / 100 + 1024,
        ));
        if segment_start {
            self.write_tables(&mut w)?;
        }
        // Interleave by time: each audio frame goes before the first video frame after it.
        let mut ai = 0;
        for f in frames {
            while ai < audio.len() && audio[ai].pts_90k <= f.pts_90k {
                self.write_audio(&mut w, &audio[ai])?;
                ai += 1;
            }
            self.write_video(&mut w, f)?;
        }
        for a in &audio[ai..] {
            self.write_audio(&mut w, a)?;
        }
        Ok(w.into_stream().into())
    }

    fn next_cc(&mut self, slot: usize) -> ContinuityCounter {
        let cc = self.counters[slot];
        self.counters[slot].increment();
        cc
    }

    fn write_tables(&mut self, w: &mut TsPacketWriter<Vec<u8>>) -> anyhow::Result<()> {
        let pat = Pat {
            transport_stream_id: 1,
            version_number: VersionNumber::default(),
            table: vec![ProgramAssociation {
                program_num: 1,
                program_map_pid: Pid::new(PMT_PID)?,
            }],
        };
        let header = self.header(PMT_SLOT, Pid::PAT)?;
        w.write_ts_packet(&TsPacket {
            header,
            adaptation_field: None,
            payload: Some(TsPayload::Pat(pat)),
        })?;
        let mut es_info = vec![EsInfo {
            stream_type: StreamType::H264,
            elementary_pid: Pid::new(VIDEO_PID)?,
            descriptors: vec![],
        }];
        if self.adts.is_some() {
            es_info.push(EsInfo {
                stream_type: StreamType::AdtsAac,
                elementary_pid: Pid::new(AUDIO_PID)?,
                descriptors: vec![],
            });
        }
        let pmt = Pmt {
            program_num: 1,
            pcr_pid: Some(Pid::new(VIDEO_PID)?),
            version_number: VersionNumber::default(),
            program_info: vec![],
            es_info,
        };
        let header = self.header(PMT_SLOT + 1, PMT_PID)?;
        w.write_ts_packet(&TsPacket {
            header,
            adaptation_field: None,
            payload: Some(TsPayload::Pmt(pmt)),
        })?;
        Ok(())
    }

    fn header(&mut self, slot: usize, pid: u16) -> anyhow::Result<TsHeader> {
        Ok(TsHeader {
            transport_error_indicator: false,
            transport_priority: false,
            pid: Pid::new(pid)?,
            transport_scrambling_control: mpeg2ts::ts::TransportScramblingControl::NotScrambled,
            continuity_counter: self.next_cc(slot),
        })
    }

    fn write_video(
        &mut self,
        w: &mut TsPacketWriter<Vec<u8>>,
        f: &PartFrame,
    ) -> anyhow::Result<()> {
        let mut es = Vec::with_capacity(f.data.len() + 128);
        es.extend_from_slice(&AUD_H264);
        if f.is_key {
            for ps in &self.param_sets {
                es.extend_from_slice(&[0, 0, 0, 1]);
                es.extend_from_slice(ps);
            }
        }
        for nal in crate::media::nal_units(&f.data) {
            let nal = nal.map_err(anyhow::Error::msg)?;
            // Parameter sets and delimiters in the frame are replaced by ours.
            let kind = nal.first().map_or(0, |b| b & 0x1f);
            if !matches!(kind, 7..=9) {
                es.extend_from_slice(&[0, 0, 0, 1]);
                es.extend_from_slice(nal);
            }
        }
        let pts = (f.pts_90k + PTS_OFFSET_90K) as u64 % (1 << 33);
        let adaptation = AdaptationField {
            random_access_indicator: f.is_key,
            pcr: Some(ClockReference::new(pts.saturating_sub(9_000) * 300)?),
            ..empty_adaptation()
        };
        self.write_pes(
            w,
            VIDEO_SLOT,
            VIDEO_PID,
            StreamId::new(StreamId::VIDEO_MIN),
            pts,
            &es,
            adaptation,
        )
    }

    fn write_audio(
        &mut self,
        w: &mut TsPacketWriter<Vec<u8>>,
        a: &PartAudio,
    ) -> anyhow::Result<()> {
        let Some((object, freq, channels)) = self.adts else {
            return Ok(());
        };
        let len = a.data.len() + 7;
        let profile = object.saturating_sub(1) & 0x03;
        let mut es = vec![
            0xff,
            0xf1,
            (profile << 6) | (freq << 2) | (channels >> 2),
            ((channels & 3) << 6) | ((len >> 11) as u8 & 0x03),
            (len >> 3) as u8,
            ((len as u8 & 0x07) << 5) | 0x1f,
            0xfc,
        ];
        es.extend_from_slice(&a.data);
        let pts = (a.pts_90k + PTS_OFFSET_90K) as u64 % (1 << 33);
        self.write_pes(
            w,
            AUDIO_SLOT,
            AUDIO_PID,
            StreamId::new(StreamId::AUDIO_MIN),
            pts,
            &es,
            empty_adaptation(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn write_pes(
        &mut self,
        w: &mut TsPacketWriter<Vec<u8>>,
        slot: usize,
        pid: u16,
        stream_id: StreamId,
        pts_90k: u64,
        es: &[u8],
        adaptation: AdaptationField,
    ) -> anyhow::Result<()> {
        let header = PesHeader {
            stream_id,
            priority: false,
            data_alignment_indicator: true,
            copyright: false,
            original_or_copy: false,
            pts: Some(Timestamp::new(pts_90k)?),
            dts: None,
            escr: None,
        };
        // 8 bytes of adaptation field with a PCR, 14 of PES header with a PTS.
        let af_len = if adaptation.pcr.is_some() { 8 } else { 2 };
        let first_room = TsPacket::SIZE - 4 - 14 - af_len;
        let first = es.len().min(first_room);
        // Video PES may exceed 65535 bytes: length 0 (unbounded) is allowed for video.
        let pes_len = if es.len() + 8 > 0xffff || slot == VIDEO_SLOT {
            0
        } else {
            (es.len() + 8) as u16
        };
        let header_ts = self.header(slot, pid)?;
        w.write_ts_packet(&TsPacket {
            header: header_ts,
            adaptation_field: Some(adaptation),
            payload: Some(TsPayload::PesStart(payload::Pes {
                header,
                pes_packet_len: pes_len,
                data: payload::Bytes::new(&es[..first])?,
            })),
        })?;
        for chunk in es[first..].chunks(TsPacket::SIZE - 4) {
            let header_ts = self.header(slot, pid)?;
            w.write_ts_packet(&TsPacket {
                header: header_ts,
                adaptation_field: None,
                payload: Some(TsPayload::PesContinuation(payload::Bytes::new(chunk)?)),
            })?;
        }
        Ok(())
    }
}

const VIDEO_SLOT: usize = 0;
const AUDIO_SLOT: usize = 1;
const PMT_SLOT: usize = 2;

fn empty_adaptation() -> AdaptationField {
    AdaptationField {
        discontinuity_indicator: false,
        random_access_indicator: false,
        es_priority_indicator: false,
        pcr: None,
        opcr: None,
        splice_countdown: None,
        transport_private_data: Vec::new(),
        extension: None,
    }
}
