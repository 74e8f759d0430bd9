//! The storage core with synthetic frames, no camera and no daemon: GOP assembler → recorder
//! → media file and index → crash recovery at every write boundary → download → parse.

use super::*;
use crate::db::RecordingFilter;
use crate::media::{AudioFrame, MediaEvent};
use crate::storage::gop::GopAssembler;
use crate::storage::index::testing as index_q;
use crate::storage::writer::testing as writer_q;
use crate::sync::LockExt;
use bytes::Bytes;
use std::path::Path;

const FPS: i64 = 25;
const FRAME_90K: i64 = 90_000 / FPS;

struct Rig {
    dir: tempfile::TempDir,
    ctx: RecorderCtx,
    index: index_q::Collected,
    rec: Recorder,
    asm: GopAssembler,
    jobs: writer_q::Jobs,
    t0: Instant,
    wall0_ns: i64,
    /// Every frame fed, by pts.
    sent: Vec<Arc<VideoFrame>>,
    /// The media file's length after each GOP written (the write boundaries).
    boundaries: Vec<u64>,
}

fn payload(pts_90k: i64, key: bool) -> Bytes {
    let n = 180 + (pts_90k / FRAME_90K % 53) as usize;
    let mut d = Vec::with_capacity(n + 5);
    d.extend_from_slice(&((n + 1) as u32).to_be_bytes());
    d.push(if key { 0x65 } else { 0x41 });
    d.extend((0..n).map(|i| (i as i64 * 7 + pts_90k) as u8));
    Bytes::from(d)
}

impl Rig {
    fn new(segment_s: u64, clock: Option<crate::clock::Clock>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cfg_path = dir.path().join("mibee-nvr.toml");
        std::fs::write(
            &cfg_path,
            format!("[storage]\nsegment_duration = \"{segment_s}s\"\nsync_interval = \"1s\"\n"),
        )
        .unwrap();
        let config = Arc::new(ConfigStore::load_or_create(&cfg_path).unwrap());
        let root = dir.path().join("rec");
        std::fs::create_dir_all(&root).unwrap();
        let db = Arc::new(Db::open(&dir.path().join("t.redb")).unwrap());
        let (index, collected) = index_q::collecting();
        let clock = clock.unwrap_or_else(|| {
            crate::clock::Clock::without_kernel(dir.path(), dir.path().join("run"))
        });
        let ctx = RecorderCtx {
            reclaimer: Arc::new(super::super::retention::Reclaimer::new(
                db.clone(),
                root.clone(),
            )),
            root,
            db,
            config,
            index,
            counters: Default::default(),
            clock: Arc::new(clock),
        };
        let (queue, jobs) = writer_q::queue("cam", usize::MAX);
        let rec = Recorder::new(queue.shared(), ctx.clone());
        Rig {
            asm: GopAssembler::new(queue),
            dir,
            ctx,
            index: collected,
            rec,
            jobs,
            t0: Instant::now(),
            wall0_ns: crate::media::now_wall_ns(),
            sent: Vec::new(),
            boundaries: Vec::new(),
        }
    }

    /// Feeds one event the way the ingest task does, then runs the queued jobs the way
    /// the writer thread does.
    fn feed(&mut self, ev: MediaEvent) {
        self.asm.on_event(&ev);
        for j in self.jobs.take() {
            let gop = matches!(j, Job::Gop(_));
            self.rec.handle(j);
            if gop && let Some(f) = &self.rec.file {
                self.boundaries.push(f.len_bytes);
            }
        }
    }

    fn start(&mut self) {
        let p = crate::media::StreamParams::h264(
            64,
            48,
            vec![0x67, 0x42, 0xc0, 0x0d, 1, 2, 3],
            vec![0x68, 0xce, 0x3c, 0x80],
        )
        .unwrap();
        self.feed(MediaEvent::SessionStart(Arc::new(p)));
    }

    /// A video frame with presentation time `pts_90k`; frames arrive one interval apart,
    /// in the order they are fed (decode order).
    fn video(&mut self, pts_90k: i64, key: bool) {
        let at = Duration::from_millis(self.sent.len() as u64 * 1000 / FPS as u64);
        let f = Arc::new(VideoFrame {
            pts_90k,
            is_key: key,
            data: payload(pts_90k, key),
            received: self.t0 + at,
            received_wall_ns: self.wall0_ns + at.as_nanos() as i64,
        });
        self.sent.push(f.clone());
        self.feed(MediaEvent::Video(f));
    }

    /// `seconds` of 25 fps video with a key frame every `gop` frames, from `from_s`.
    fn seconds(&mut self, from_s: i64, seconds: i64, gop: i64) {
        for i in 0..seconds * FPS {
            let n = from_s * FPS + i;
            self.video(n * FRAME_90K, n % gop == 0);
        }
    }

    /// Applies what the recorder sent to the index.
    fn commit(&mut self) {
        let ops = self.index.ops();
        self.ctx.db.apply(&ops).unwrap();
    }

    fn recordings(&self) -> Vec<(u64, RecordingRow)> {
        let (mut rows, _) = self
            .ctx
            .db
            .list_recordings(&RecordingFilter::default(), 0, u64::MAX)
            .unwrap();
        rows.reverse(); // oldest first
        rows
    }
}

/// Walks a standalone MP4 (a download): ftyp, moov, sidx, then whole fragments; returns the
/// video samples' bytes in order.
fn parse_download(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut t = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut t, bytes).unwrap();
    let f = std::fs::File::open(t.path()).unwrap();
    let mut at = 0u64;
    for kind in [b"ftyp", b"moov", b"sidx"] {
        let (k, len, _) = fmp4::box_header(&bytes[at as usize..]).unwrap();
        assert_eq!(&k, kind);
        at += len;
    }
    let mut out = Vec::new();
    for frag in super::super::fragments::walk(&f, at, bytes.len() as u64) {
        let frag = frag.expect("whole fragments");
        for (rel, size, _) in fmp4::video_samples(&frag.moof).unwrap() {
            let s = (frag.info.offset + rel) as usize;
            out.push(bytes[s..s + size as usize].to_vec());
        }
    }
    out
}

fn download(root: &Path, db: &Db, id: u64) -> Vec<u8> {
    let rec = db.recording(id).unwrap().unwrap();
    let file = db.file(rec.file_id).unwrap().unwrap();
    let plan = super::super::download::plan(root, &file, &rec).unwrap();
    super::super::download::read_range(&plan, 0, plan.len).unwrap()
}

#[test]
fn gops_become_fragments_and_contiguous_recordings() {
    let mut rig = Rig::new(5, None);
    rig.start();
    rig.seconds(0, 15, FPS);
    rig.feed(MediaEvent::SessionEnd);
    rig.commit();
    let recs = rig.recordings();
    assert_eq!(recs.len(), 3, "{recs:?}");
    let frames: u64 = recs.iter().map(|(_, r)| r.frame_count).sum();
    assert_eq!(frames, 15 * FPS as u64, "every frame recorded");
    for w in recs.windows(2) {
        assert_eq!(w[0].1.end_wall_ns(), w[1].1.start_wall_ns, "contiguous");
        assert_eq!(w[0].1.byte_end, w[1].1.byte_start);
        assert_eq!(w[0].1.media_end_90k, w[1].1.media_start_90k);
    }
    for (_, r) in &recs {
        assert_eq!(r.duration_ns, 5_000_000_000, "{r:?}");
    }
    let f = rig.ctx.db.file(recs[0].1.file_id).unwrap().unwrap();
    assert!(f.sealed, "the run ended: the file is sealed");
    // Download each recording and find every frame's bytes, in order.
    let mut got = Vec::new();
    for (id, _) in &recs {
        got.extend(parse_download(&download(&rig.ctx.root, &rig.ctx.db, *id)));
    }
    let want: Vec<Vec<u8>> = rig.sent.iter().map(|f| f.data.to_vec()).collect();
    assert_eq!(got, want);
    let received: usize = want.iter().map(|f| f.len()).sum();
    assert_eq!(
        rig.ctx
            .counters
            .media_received_bytes
            .load(std::sync::atomic::Ordering::Relaxed),
        received as u64,
        "write amplification's denominator"
    );
    rig.ctx.db.check().unwrap();
    super::super::orphans::verify(&rig.ctx.db, &rig.ctx.root).unwrap();
}

#[test]
fn b_frames_are_stored_in_decode_order_with_their_presentation_times() {
    let mut rig = Rig::new(5, None);
    rig.start();
    // I P B B P B B ... in decode order, GOP of 25 (one second), 6 seconds.
    for g in 0..6i64 {
        let base = g * FPS;
        let mut order = vec![0i64];
        let mut i = 1;
        while i < FPS {
            let r = (i + 2).min(FPS - 1);
            order.push(r);
            order.extend(i..r);
            i = r + 1;
        }
        for (k, n) in order.into_iter().enumerate() {
            rig.video((base + n) * FRAME_90K, k == 0);
        }
    }
    rig.feed(MediaEvent::SessionEnd);
    rig.commit();
    let recs = rig.recordings();
    let file = rig.ctx.db.file(recs[0].1.file_id).unwrap().unwrap();
    let f = std::fs::File::open(rig.ctx.root.join(&file.rel_path)).unwrap();
    let len = f.metadata().unwrap().len();
    let mut pts = Vec::new();
    let mut last_dts = -1i64;
    for frag in super::super::fragments::walk(&f, file.init_len, len) {
        let frag = frag.unwrap();
        let moof =
            <mp4_atom::Moof as mp4_atom::Decode>::decode(&mut std::io::Cursor::new(&frag.moof))
                .unwrap();
        let traf = &moof.traf[0];
        let mut dts = traf.tfdt.as_ref().unwrap().base_media_decode_time as i64;
        for e in traf.trun[0].samples.iter() {
            assert!(dts > last_dts, "decode times increase");
            last_dts = dts;
            pts.push(dts + e.cts.unwrap_or(0));
            dts += e.duration.unwrap() as i64;
        }
    }
    let want: Vec<i64> = rig.sent.iter().map(|f| f.pts_90k).collect();
    assert_eq!(pts, want, "presentation times survive exactly");
    // Durations are whole frames: 6 s of video is 6 s of recordings.
    let total: i64 = recs.iter().map(|(_, r)| r.duration_ns).sum();
    assert_eq!(total, 6_000_000_000);
}

#[test]
fn a_crash_at_any_write_boundary_loses_at_most_the_fragment_in_flight() {
    let mut rig = Rig::new(5, None);
    rig.start();
    rig.seconds(0, 12, FPS);
    // The run is still open: the file is what a power cut would leave (no seal).
    let file_id = rig.rec.file.as_ref().unwrap().id;
    let row = rig.ctx.db.file(file_id).unwrap().unwrap();
    let bytes = std::fs::read(rig.ctx.root.join(&row.rel_path)).unwrap();
    let mut cuts: Vec<u64> = vec![row.init_len - 1, row.init_len];
    for w in rig.boundaries.windows(2) {
        cuts.extend([w[0], w[0] + 1, (w[0] + w[1]) / 2, w[1] - 1]);
    }
    cuts.push(*rig.boundaries.last().unwrap());
    for cut in cuts {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        std::fs::create_dir_all(root.join("cam")).unwrap();
        std::fs::write(root.join(&row.rel_path), &bytes[..cut as usize]).unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        let id = db
            .adopt_file_row(&FileRow {
                sealed: false,
                ..row.clone()
            })
            .unwrap();
        super::super::recovery::recover_file(
            &db,
            &root,
            id,
            &db.file(id).unwrap().unwrap(),
            5_000_000_000,
        )
        .unwrap();
        // Whole GOPs (one second each) up to the cut are recovered, nothing else.
        let whole = rig.boundaries.iter().filter(|b| **b <= cut).count() as u64;
        let (rows, _) = db
            .list_recordings(&RecordingFilter::default(), 0, 1000)
            .unwrap();
        let frames: u64 = rows.iter().map(|(_, r)| r.frame_count).sum();
        assert_eq!(frames, whole * FPS as u64, "cut at {cut}");
        let on_disk = std::fs::metadata(root.join(&row.rel_path)).unwrap().len();
        let expect_len = if cut < row.init_len {
            0
        } else {
            rig.boundaries
                .iter()
                .copied()
                .filter(|b| *b <= cut)
                .max()
                .unwrap_or(row.init_len)
        };
        assert_eq!(on_disk, expect_len, "torn tail truncated (cut {cut})");
        // Every recovered recording downloads and parses, with the frames as sent.
        let mut got = Vec::new();
        for (rid, _) in rows.iter().rev() {
            got.extend(parse_download(&download(&root, &db, *rid)));
        }
        let want: Vec<Vec<u8>> = rig.sent[..got.len()]
            .iter()
            .map(|f| f.data.to_vec())
            .collect();
        assert_eq!(got, want, "cut {cut}");
        db.check().unwrap();
    }
}

#[test]
fn a_full_queue_drops_whole_gops_and_the_run_restarts_at_a_key_frame() {
    let (queue, jobs) = writer_q::queue("cam", 3 * 25 * 300);
    let shared = queue.shared();
    let mut asm = GopAssembler::new(queue);
    let p = crate::media::mjpeg::params(64, 48).unwrap();
    let mut p = (*Arc::new(p)).clone();
    p.format = "h264";
    asm.on_event(&MediaEvent::SessionStart(Arc::new(p)));
    let t0 = Instant::now();
    let frame = |n: i64| {
        Arc::new(VideoFrame {
            pts_90k: n * FRAME_90K,
            is_key: n % FPS == 0,
            data: Bytes::from(vec![0u8; 300]),
            received: t0,
            received_wall_ns: 0,
        })
    };
    // Nobody drains the queue (the disk stalls): 3 GOPs fit, the rest are dropped.
    for n in 0..8 * FPS {
        asm.on_event(&MediaEvent::Video(frame(n)));
    }
    assert_eq!(
        shared.stats.gops_dropped.get(),
        4,
        "GOPs 4..7 dropped (the 8th is open)"
    );
    assert_eq!(shared.stats.frames_dropped.get(), 4 * FPS as u64);
    let queued = jobs.take();
    assert_eq!(
        queued.iter().filter(|j| matches!(j, Job::Gop(_))).count(),
        3
    );
    // The disk is back: the next GOP goes out after a break (the recorder ends its run).
    // (a GOP goes out once the frame after the next key frame shows no leading pictures)
    for n in 8 * FPS..8 * FPS + 2 {
        asm.on_event(&MediaEvent::Video(frame(n)));
    }
    let after = jobs.take();
    assert!(
        matches!(after[..], [Job::Break, Job::Gop(ref g)] if g.starts_with_key),
        "{after:?}"
    );
}

#[test]
fn audio_without_video_is_capped_and_an_outage_ends_the_run() {
    let (queue, jobs) = writer_q::queue("cam", usize::MAX);
    let shared = queue.shared();
    let mut asm = GopAssembler::new(queue);
    let mut p = crate::media::mjpeg::params(64, 48).unwrap();
    p.format = "h264";
    asm.on_event(&MediaEvent::SessionStart(Arc::new(p)));
    let t0 = Instant::now();
    let video = |pts: i64, key: bool| {
        MediaEvent::Video(Arc::new(VideoFrame {
            pts_90k: pts,
            is_key: key,
            data: Bytes::from_static(b"\0\0\0\x01\x65"),
            received: t0,
            received_wall_ns: 0,
        }))
    };
    asm.on_event(&video(0, true));
    // The video encoder hangs; audio keeps coming (50 frames a second for 12 s).
    for i in 0..600 {
        asm.on_event(&MediaEvent::Audio(Arc::new(AudioFrame {
            pts: i * 160,
            duration: 160,
            data: Bytes::from_static(&[0u8; 320]),
        })));
    }
    assert_eq!(shared.stats.audio_frames_dropped.get(), 600 - 512);
    // Video returns 12 s later: the run ends before it (no frame lasts the outage).
    asm.on_event(&video(12 * 90_000, true));
    asm.on_event(&video(12 * 90_000 + FRAME_90K, false));
    asm.on_event(&video(13 * 90_000, true));
    asm.on_event(&video(13 * 90_000 + FRAME_90K, false));
    let jobs = jobs.take();
    let kinds: Vec<&str> = jobs
        .iter()
        .map(|j| match j {
            Job::Start(_) => "start",
            Job::Gop(g) if g.audio.len() == 512 && g.next_pts_90k.is_none() => "gop+audio",
            Job::Gop(_) => "gop",
            Job::Break => "break",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["start", "gop+audio", "break", "gop"]);
}

#[test]
fn an_untrusted_clock_marks_rows_and_files_until_they_are_re_anchored() {
    let dir = tempfile::tempdir().unwrap();
    // The saved time is a day ahead of this clock: it reads "before" it, untrusted.
    let future_s = crate::media::now_wall_ns() / 1_000_000_000 + 86_400;
    std::fs::write(
        dir.path().join(crate::clock::SAVED_FILE),
        format!("{future_s}"),
    )
    .unwrap();
    let clock = crate::clock::Clock::without_kernel(dir.path(), dir.path().join("run"));
    assert!(!clock.is_trusted());
    let mut rig = Rig::new(5, Some(clock));
    rig.start();
    rig.seconds(0, 10, FPS);
    rig.feed(MediaEvent::SessionEnd);
    rig.commit();
    let before = rig.recordings();
    assert_eq!(before.len(), 2);
    let db = rig.ctx.db.clone();
    let (epoch, trusted) = rig.ctx.clock.epoch_of(rig.wall0_ns, mono_ns(rig.t0));
    assert!(!trusted);
    for (id, _) in &before {
        assert_eq!(db.untrusted_epoch(*id).unwrap(), Some(epoch));
    }
    // Age retention leaves them alone, however old they look.
    let far_future = rig.wall0_ns + 400 * 86_400_000_000_000;
    assert!(
        db.expired_recordings("cam", far_future, 10)
            .unwrap()
            .is_empty()
    );
    // The clock was an hour slow: re-anchor the epoch.
    let hour = 3_600_000_000_000i64;
    let renames = super::super::reanchor::apply(
        &db,
        &rig.ctx.root,
        rig.ctx.reclaimer.io_lock(),
        crate::clock::Correction {
            epoch,
            delta_ns: hour,
        },
    )
    .unwrap();
    assert_eq!(renames, 1);
    let after = rig.recordings();
    assert_eq!(after.len(), 2);
    for ((id0, r0), (id1, r1)) in before.iter().zip(&after) {
        assert_eq!(r1.start_wall_ns, r0.start_wall_ns + hour);
        assert_eq!(*id1, *id0 + hour as u64, "ids follow the times");
        assert_eq!(db.untrusted_epoch(*id1).unwrap(), None);
    }
    let f = db.file(after[0].1.file_id).unwrap().unwrap();
    assert!(
        f.rel_path
            .contains(&crate::media::compact_stamp(rig.wall0_ns + hour))
    );
    assert!(
        rig.ctx.root.join(&f.rel_path).exists(),
        "the file was renamed"
    );
    assert!(db.pending_renames().unwrap().is_empty());
    // A row of the epoch that was still queued is corrected as it commits.
    let mut late = after[1].1.clone();
    late.start_wall_ns = before[1].1.start_wall_ns + 5_000_000_000;
    late.byte_start = late.byte_end;
    late.byte_end += 10;
    let ids = db
        .apply(&[IndexOp::InsertUntrusted { row: late, epoch }])
        .unwrap();
    assert_eq!(
        ids[0] as i64,
        before[1].1.start_wall_ns + 5_000_000_000 + hour
    );
    assert_eq!(db.untrusted_epoch(ids[0]).unwrap(), None);
    let _ = &rig.dir;
}

#[test]
fn a_sweep_racing_deletions_never_brings_a_recording_back() {
    let mut rig = Rig::new(5, None);
    // 40 short runs: 40 sealed files of one recording each; deleting one unlinks its file.
    for run in 0..40 {
        rig.start();
        rig.seconds(run * 2, 1, FPS);
        rig.feed(MediaEvent::SessionEnd);
    }
    rig.commit();
    let ids: Vec<u64> = rig.recordings().iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 40);
    let (db, root, reclaimer) = (
        rig.ctx.db.clone(),
        rig.ctx.root.clone(),
        rig.ctx.reclaimer.clone(),
    );
    // A deletion (rows, then bytes) and a sweep (listing, then the index) exclude each other:
    // while a sweep holds the storage lock, a deletion waits, rows and file untouched.
    {
        let held = reclaimer.io_lock().locked();
        std::thread::scope(|s| {
            let del = s.spawn(|| reclaimer.delete(&ids[..1]).unwrap().len());
            std::thread::sleep(Duration::from_millis(200));
            assert!(!del.is_finished(), "a deletion ran during a sweep");
            assert!(db.recording(ids[0]).unwrap().is_some());
            drop(held);
            assert_eq!(del.join().unwrap(), 1);
        });
    }
    let ids = &ids[1..];
    let done = std::sync::atomic::AtomicBool::new(false);
    let mut adopted = 0;
    std::thread::scope(|s| {
        let sweeper = s.spawn(|| {
            let mut adopted = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let r =
                    super::super::orphans::sweep(&db, &root, 5_000_000_000, reclaimer.io_lock())
                        .unwrap();
                adopted += r.adopted_recordings;
            }
            adopted
        });
        for id in ids {
            assert_eq!(reclaimer.delete(&[*id]).unwrap().len(), 1);
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        adopted = sweeper.join().unwrap();
    });
    assert_eq!(adopted, 0, "a deleted recording was adopted back");
    assert!(rig.recordings().is_empty());
    assert_eq!(
        std::fs::read_dir(root.join("cam")).unwrap().count(),
        0,
        "every file unlinked"
    );
    db.check().unwrap();
}

#[test]
fn open_gops_with_leading_pictures_keep_exact_durations() {
    let mut rig = Rig::new(5, None);
    rig.start();
    // An IDR GOP, then CRA GOPs whose two leading pictures (shown before the CRA, decoded
    // after it) belong to them: H.265 open GOPs as x265 makes them.
    for n in 0..FPS {
        rig.video(n * FRAME_90K, n == 0);
    }
    for g in 1..12i64 {
        let base = g * FPS;
        let mut order = vec![base + 2, base, base + 1];
        order.extend(base + 3..base + FPS);
        for (k, n) in order.into_iter().enumerate() {
            rig.video(n * FRAME_90K, k == 0);
        }
    }
    rig.feed(MediaEvent::SessionEnd);
    rig.commit();
    let recs = rig.recordings();
    let frames: u64 = recs.iter().map(|(_, r)| r.frame_count).sum();
    assert_eq!(frames, 12 * FPS as u64);
    for (_, r) in &recs {
        assert_eq!(
            r.duration_ns,
            r.frame_count as i64 * 1_000_000_000 / FPS,
            "a recording lasts its frames: {r:?}"
        );
    }
    for w in recs.windows(2) {
        assert_eq!(w[0].1.media_end_90k, w[1].1.media_start_90k);
    }
}
