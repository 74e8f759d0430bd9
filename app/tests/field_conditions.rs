//! What a box in the field meets and the lab did not create: a camera whose video encoder
//! hangs while its audio flows, an SD card that stalls for seconds, recordings deleted while
//! they are being downloaded. Against the real daemon, real RTSP cameras and a real ext4
//! filesystem; every recording produced is decoded with `ffmpeg -xerror`.

mod common;
use common::fakecam::FakeCam;
use common::media::{FileCam, LoopFs, clip};
use common::recordings::*;
use common::*;
use std::time::{Duration, Instant};

/// These tests load the CPU with cameras; one at a time so their timings hold.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cam_toml(id: &str, url: &str) -> String {
    camera_toml(id, "rtsp", "h264", url, "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_that_stalls_while_audio_flows_reconnects_and_records_again() {
    let _g = SERIAL.lock().await;
    let fc = FakeCam::start(&["codec=h264,size=320x240,fps=15,gop=15,audio=pcma"], &[]);
    // The hardware watchdog's device is a plain file here: feeding appends to it.
    let feed = tempfile::NamedTempFile::new().unwrap();
    let d = Daemon::start_opts(Opts {
        toml: Some(&format!(
            "[storage]\nsegment_duration = \"5s\"\n\n{}",
            cam_toml("cam", &fc.url(0))
        )),
        args: vec![
            "--watchdog".into(),
            feed.path().to_string_lossy().into(),
            "--watchdog-timeout".into(),
            "15".into(),
        ],
        ..Default::default()
    })
    .await;
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
    let recorded = |secs: f64| {
        let d = &d;
        async move {
            recordings(d, "cam")
                .await
                .iter()
                .map(|r| r["duration"].as_f64().unwrap())
                .sum::<f64>()
                >= secs
        }
    };
    wait_for("5 s recorded", Duration::from_secs(30), async || {
        recorded(5.0).await
    })
    .await;
    // The video encoder hangs; audio and RTCP keep flowing.
    fc.control(0, "stall").await;
    let stalled = Instant::now();
    wait_for("leaves recording", Duration::from_secs(20), async || {
        cam(&d, "cam").await["status"] != "recording"
    })
    .await;
    let left_after = stalled.elapsed();
    assert!(
        left_after <= Duration::from_secs(13),
        "status left `recording` {left_after:?} after the video stopped (stall timeout 10 s)"
    );
    let c = cam(&d, "cam").await;
    assert!(
        c["status_reason"].as_str().unwrap().contains("no video"),
        "{c}"
    );
    // 40 s of stalled video: the box stays healthy and keeps feeding its watchdog.
    let mut fed = std::fs::metadata(feed.path()).unwrap().len();
    while stalled.elapsed() < Duration::from_secs(40) {
        tokio::time::sleep(Duration::from_secs(4)).await;
        let (s, h) = json(d.get("/api/health")).await;
        assert_eq!(s, 200, "{h}");
        let now = std::fs::metadata(feed.path()).unwrap().len();
        assert!(now > fed, "the watchdog is fed through the stall");
        fed = now;
    }
    fc.control(0, "resume").await;
    let resumed = now_ns();
    let t = Instant::now();
    wait_for("video again", Duration::from_secs(15), async || {
        cam(&d, "cam").await["last_seen"]
            .as_str()
            .is_some_and(|s| ns(s) > resumed)
    })
    .await;
    let back_after = t.elapsed();
    println!(
        "video stall: left recording after {left_after:?}, video back {back_after:?} after resume"
    );
    assert!(
        back_after <= Duration::from_millis(2500),
        "recording again {back_after:?} after the video returned"
    );
    wait_status(&d, "cam", "recording", Duration::from_secs(5)).await;
    let before = recordings(&d, "cam").await.len();
    wait_for("more recorded", Duration::from_secs(30), async || {
        recordings(&d, "cam").await.len() > before
    })
    .await;
    stop_and_flush(&d, "cam").await;
    // Every recording decodes and holds what it claims: no recording spans the outage.
    let (total, _) = verify_all(&d, "cam", 15.0, false).await;
    for r in recordings(&d, "cam").await {
        let frames = r["frame_count"].as_f64().unwrap();
        let dur = r["duration"].as_f64().unwrap();
        assert!(
            (dur - frames / 15.0).abs() < 0.5,
            "recording {} lasts {dur} s with {frames} frames",
            r["id"]
        );
    }
    assert!(total < stalled.elapsed().as_secs_f64() - 30.0, "{total} s");
}

/// Freezes a filesystem (every write blocks, as a card does during garbage collection)
/// until dropped.
struct Frozen<'a>(&'a std::path::Path);

impl<'a> Frozen<'a> {
    fn new(mount: &'a std::path::Path) -> Self {
        let ok = std::process::Command::new("fsfreeze")
            .arg("-f")
            .arg(mount)
            .status()
            .unwrap();
        assert!(ok.success(), "fsfreeze -f");
        Frozen(mount)
    }
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("fsfreeze")
            .arg("-u")
            .arg(self.0)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_stalls_for_5_s_loses_no_frame_and_stops_no_camera() {
    use futures::StreamExt;
    let _g = SERIAL.lock().await;
    let fs = LoopFs::new(512);
    let cams = FileCam::start(&clip(60), 1);
    // The whole data dir (config, index, recordings) is on the card that will stall.
    let d = Daemon::start_opts(Opts {
        toml: Some(&format!(
            "[storage]\nsegment_duration = \"5s\"\n\n{}",
            cam_toml("cam", &cams.urls[0])
        )),
        config_path: Some(fs.mount.join("mibee-nvr.toml")),
        ..Default::default()
    })
    .await;
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
    wait_for("recording indexed", Duration::from_secs(30), async || {
        !recordings(&d, "cam").await.is_empty()
    })
    .await;
    let attempts = metric(&d, "mibee_camera_connect_attempts", Some("cam")).await;
    let url = format!(
        "{}/api/cameras/cam/live",
        d.base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    // Live view runs; count its fragments per second while the card stalls.
    let mut frozen_frames = 0u32;
    let mut queue_peak = 0f64;
    {
        let _frozen = Frozen::new(&fs.mount);
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            let msg = tokio::time::timeout(Duration::from_secs(2), ws.next())
                .await
                .expect("live view keeps sending while the card stalls")
                .unwrap()
                .unwrap();
            if msg.is_binary() && &msg.into_data()[4..8] == b"moof" {
                frozen_frames += 1;
            }
            if frozen_frames.is_multiple_of(25) {
                queue_peak =
                    queue_peak.max(metric(&d, "mibee_recorder_queue_bytes", Some("cam")).await);
            }
        }
    }
    assert!(
        frozen_frames >= 100,
        "live view advanced {frozen_frames} frames in 5 s of a stalled card (25 fps)"
    );
    // The queue drains once the card is back; nothing was dropped.
    wait_for("queue drained", Duration::from_secs(20), async || {
        metric(&d, "mibee_recorder_queue_bytes", Some("cam")).await == 0.0
    })
    .await;
    let dropped = metric(&d, "mibee_recorder_frames_dropped", Some("cam")).await;
    let skipped = metric(&d, "mibee_recorder_frames_skipped", Some("cam")).await;
    println!(
        "card stall 5 s at 6 Mbit/s: frames lost {} (dropped {dropped}, skipped {skipped}), queue peak {:.1} MiB, live frames during the stall {frozen_frames}",
        dropped + skipped,
        queue_peak / (1 << 20) as f64
    );
    assert_eq!(dropped + skipped, 0.0, "frames lost to a 5 s stall");
    assert!(queue_peak > 0.0, "the stall was felt by the recorder");
    assert_eq!(
        metric(&d, "mibee_camera_connect_attempts", Some("cam")).await,
        attempts,
        "no RTSP reconnect"
    );
    let before = recordings(&d, "cam").await.len();
    wait_for(
        "recording after the stall",
        Duration::from_secs(30),
        async || recordings(&d, "cam").await.len() > before + 1,
    )
    .await;
    stop_and_flush(&d, "cam").await;
    // Every recording decodes, and they are contiguous across the stall.
    verify_all(&d, "cam", 25.0, true).await;
}

/// GETs `path` with a tiny receive buffer, reads `first` body bytes, runs `between`, then
/// reads to the end. Returns (declared length, body, whether it ended cleanly).
async fn slow_download(
    base: &str,
    path: &str,
    first: usize,
    between: impl AsyncFnOnce(),
) -> (usize, Vec<u8>, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s = sock.connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "no response head");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap();
    let mut body = buf[head_end..].to_vec();
    while body.len() < first {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        body.extend_from_slice(&chunk[..n]);
    }
    between().await;
    loop {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let clean = body.len() == len;
    (len, body, clean)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_of_recordings_being_deleted_never_serve_holes() {
    let _g = SERIAL.lock().await;
    let cams = FileCam::start(&clip(60), 1);
    let d = Daemon::start_with_config(Some(&format!(
        "[storage]\nsegment_duration = \"10s\"\n\n{}",
        cam_toml("cam", &cams.urls[0])
    )))
    .await;
    wait_status(&d, "cam", "recording", Duration::from_secs(20)).await;
    // Four recordings of ~7 MB: the first two while the file is still being written (their
    // bytes are hole-punched), the last two after the camera stopped (the file is unlinked).
    wait_for("4 recordings", Duration::from_secs(90), async || {
        recordings(&d, "cam").await.len() >= 4
    })
    .await;
    let mut interval = 3600;
    for round in 0..4 {
        if round == 2 {
            stop_and_flush(&d, "cam").await;
        }
        let rec = recordings(&d, "cam").await[0].clone();
        let id = rec["id"].as_str().unwrap().to_string();
        let path = format!("/api/recordings/{id}/download");
        let whole = bytes(d.get(&path)).await;
        let mut deleted_at = 0;
        let (len, body, clean) = slow_download(&d.base, &path, 64 << 10, async || {
            deleted_at = now_ns();
            let (s, v) = json(d.delete(&format!("/api/recordings/{id}"))).await;
            assert_eq!(s, 200, "{v}");
            // A settings change runs the cleanup pass (and its orphan sweep) at once.
            interval += 60;
            let (s, v) =
                json(d.put("/api/settings").json(
                    &serde_json::json!({"cleanup": {"check_interval": format!("{interval}s")}}),
                ))
                .await;
            assert_eq!(s, 200, "{v}");
        })
        .await;
        assert_eq!(len, whole.len());
        println!(
            "round {round}: {} of {len} bytes, {}",
            body.len(),
            if clean {
                "complete"
            } else {
                "ended with an error"
            }
        );
        if clean {
            assert!(
                body == whole,
                "round {round}: a complete download differs from the recording"
            );
        } else {
            assert!(body.len() < len);
            assert!(
                whole.starts_with(&body),
                "round {round}: served bytes differ before the error"
            );
        }
        // Deleted for good: the sweep that ran after the delete did not bring it back.
        wait_for(
            "the cleanup pass ran",
            Duration::from_secs(10),
            async || {
                let (_, s) = json(d.get("/api/stats")).await;
                s["cleanup"]["last_run_time"]
                    .as_str()
                    .is_some_and(|t| ns(t) > deleted_at)
            },
        )
        .await;
        let (s, _) = json(d.get(&format!("/api/recordings/{id}"))).await;
        assert_eq!(s, 404, "round {round}: deleted recording {id} is back");
        assert!(
            !recordings(&d, "cam")
                .await
                .iter()
                .any(|r| r["id"] == id.as_str()),
            "round {round}: {id} listed again"
        );
    }
    let mut d = d;
    assert!(d.stop().success());
    let (ok, out, err) = cli(&d.config_path(), &["check"]);
    assert!(ok, "index and disk agree: {out}{err}");
}
