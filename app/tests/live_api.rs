//! Live view against real cameras (gst-rtsp-server): hls.js in headless Chromium plays the
//! H.264 stream; ffmpeg reads the H.264 (with AAC) and H.265 playlists with `-xerror`; the
//! fMP4-over-WebSocket path decodes; a camera that is not recording gets a live-only
//! connection that ends when idle; the stream limit answers 503 HLS_MAX_STREAMS; traversal
//! attempts on stream paths answer 400 PATH_TRAVERSAL.

mod common;
use common::fakecam::FakeCam;
use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Live encoders and a browser load the CPU: one test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn camera(id: &str, url: &str, encoding: &str) -> String {
    camera_toml(id, "rtsp", encoding, url, "")
}

/// Reads `secs` of the stream with ffmpeg (`-xerror`, any decode error fails); returns
/// ffprobe's codec names of the playlist's streams.
fn ffmpeg_reads(url: &str, secs: u32) -> Vec<String> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i", url, "-t", &secs.to_string()])
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg reading {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name"])
        .args(["-of", "csv=p=0", url])
        .output()
        .unwrap();
    // The HLS demuxer lists streams once per program too.
    let mut codecs: Vec<String> = Vec::new();
    for l in String::from_utf8_lossy(&out.stdout).lines().map(str::trim) {
        if !l.is_empty() && !codecs.iter().any(|c| c == l) {
            codecs.push(l.to_string());
        }
    }
    codecs
}

/// A request sent byte for byte (HTTP clients normalise `..` and `%2e%2e` away).
async fn raw_get(base: &str, path: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let code = text[9..12].parse().unwrap();
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (code, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn hls_plays_in_chromium_and_ffmpeg_reads_h264_and_h265() {
    let _g = SERIAL.lock().await;
    let cams = FakeCam::start(
        &[
            "codec=h264,size=640x360,fps=25,gop=25,audio=aac",
            "codec=h265,size=640x360,fps=25,gop=25",
        ],
        &[],
    );
    let d = Daemon::start_with_config(Some(&format!(
        "{}\n{}",
        camera("h264cam", &cams.url(0), "h264"),
        camera("h265cam", &cams.url(1), "h265")
    )))
    .await;
    wait_for(
        "both cameras recording",
        Duration::from_secs(20),
        async || {
            let (_, v) = json(d.get("/api/cameras")).await;
            v.as_array()
                .is_some_and(|c| c.iter().all(|c| c["status"] == "recording"))
        },
    )
    .await;
    // A whole GOP (1 s at 25 fps) buffered on each camera.
    for id in ["h264cam", "h265cam"] {
        common::recordings::wait_recording_run(&d, id, 1.0, Duration::from_secs(10)).await;
    }

    // Cold request on a recording camera: the first segment comes from the buffered GOP.
    let t0 = Instant::now();
    let resp = d
        .get("/api/cameras/h264cam/stream/stream.m3u8")
        .send()
        .await
        .unwrap();
    let cold_ms = t0.elapsed().as_millis();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let playlist = resp.text().await.unwrap();
    assert!(cold_ms < 1500, "cold playlist took {cold_ms} ms");
    for tag in ["#EXTM3U", "#EXT-X-PART-INF", "#EXTINF", "segment_000.ts"] {
        assert!(playlist.contains(tag), "{tag} in\n{playlist}");
    }
    let seg = d
        .get("/api/cameras/h264cam/stream/segment_000.ts")
        .send()
        .await
        .unwrap();
    assert_eq!(seg.headers()["content-type"], "video/mp2t");
    let seg = seg.bytes().await.unwrap();
    assert!(seg.len() > 188 && seg.len() % 188 == 0 && seg[0] == 0x47);
    // The alias and an unknown name.
    let s = d
        .get("/api/cameras/h264cam/stream/index.m3u8")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, 200);
    expect_error(
        d.get("/api/cameras/h264cam/stream/segment_999999.ts"),
        404,
        "NOT_FOUND",
    )
    .await;
    expect_error(d.get("/api/cameras/h264cam/stream/x.mp4"), 404, "NOT_FOUND").await;
    expect_error(
        d.get("/api/cameras/nope/stream/stream.m3u8"),
        404,
        "CAMERA_NOT_FOUND",
    )
    .await;

    // hls.js in Chromium.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/hls_play.cjs");
    let out = Command::new("node")
        .arg(script)
        .arg(d.url("/api/cameras/h264cam/stream/stream.m3u8"))
        .args(["--seconds", "6", "--min-advance", "5"])
        .output()
        .expect("node (npm install in app/tests/browser: make setup)");
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    println!("hls.js: {report}");
    let v: Value = serde_json::from_str(report.trim()).unwrap_or_else(|_| {
        panic!(
            "hls_play.cjs: {report} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success() && v["ok"] == true, "hls.js: {v}");
    assert!(v["advanced_s"].as_f64().unwrap() >= 5.0, "{v}");
    assert_eq!(v["video_size"], serde_json::json!([640, 360]));
    assert!(v["parts_loaded"].as_u64().unwrap() > 0, "LL-HLS parts: {v}");

    // ffmpeg: H.264 + AAC as MPEG-TS, H.265 as fMP4.
    let codecs = ffmpeg_reads(&d.url("/api/cameras/h264cam/stream/stream.m3u8"), 4);
    assert_eq!(codecs, ["h264", "aac"]);
    let codecs = ffmpeg_reads(&d.url("/api/cameras/h265cam/stream/stream.m3u8"), 4);
    assert_eq!(codecs, ["hevc"]);
    let playlist = text(d.get("/api/cameras/h265cam/stream/stream.m3u8")).await;
    assert!(
        playlist.contains("#EXT-X-MAP:URI=\"init.mp4\""),
        "{playlist}"
    );
    assert!(playlist.contains(".m4s"), "{playlist}");
    let init = d
        .get("/api/cameras/h265cam/stream/init.mp4")
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 200);
    assert_eq!(&init.bytes().await.unwrap()[4..8], b"ftyp");
    // One camera connection for recording and live together.
    assert_eq!(cams.clients(0).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn live_only_connections_end_when_idle_and_the_stream_limit_holds() {
    let _g = SERIAL.lock().await;
    let cams = FakeCam::start(
        &[
            "codec=h264,size=320x240,fps=15,gop=15",
            "codec=h264,size=320x240,fps=15,gop=15",
        ],
        &[],
    );
    let d = Daemon::start_with_config(Some(&format!(
        "[live]\nmax_streams = 1\nidle_timeout = \"5s\"\n\n{}\n{}",
        camera("one", &cams.url(0), "h264"),
        camera("two", &cams.url(1), "h264")
    )))
    .await;
    // Not recording: stopped through the API.
    for id in ["one", "two"] {
        wait_for("camera up", Duration::from_secs(20), async || {
            let (_, v) = json(d.get(&format!("/api/cameras/{id}"))).await;
            v["status"] == "recording"
        })
        .await;
        let (s, v) = json(d.post(&format!("/api/cameras/{id}/stop"))).await;
        assert_eq!(s, 200, "{v}");
    }
    wait_for("cameras released", Duration::from_secs(10), async || {
        cams.clients(0).await == 0 && cams.clients(1).await == 0
    })
    .await;

    let t0 = Instant::now();
    let playlist = text(d.get("/api/cameras/one/stream/stream.m3u8")).await;
    assert!(playlist.contains("segment_000.ts"), "{playlist}");
    println!("cold start of a live-only connection: {:?}", t0.elapsed());
    assert_eq!(cams.clients(0).await, 1, "a live-only connection");
    ffmpeg_reads(&d.url("/api/cameras/one/stream/stream.m3u8"), 2);
    // Nothing is recorded from it.
    let (_, v) = json(d.get("/api/cameras/one")).await;
    assert_eq!(v["status"], "stopped", "{v}");

    let (s, v) = json(d.get("/api/cameras/two/stream/stream.m3u8")).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (503, Some("HLS_MAX_STREAMS")),
        "{v}"
    );
    assert_eq!(cams.clients(1).await, 0, "a refused stream opens nothing");

    // Idle: the stream ends and the camera connection with it.
    let idle = Instant::now();
    wait_for(
        "idle live stream released",
        Duration::from_secs(15),
        async || cams.clients(0).await == 0,
    )
    .await;
    assert!(
        idle.elapsed() >= Duration::from_secs(3),
        "{:?}",
        idle.elapsed()
    );
    let s = d
        .get("/api/cameras/two/stream/stream.m3u8")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, 200, "the slot is free again");
    assert_eq!(cams.clients(1).await, 1);
    // Ended on request: the live-only connection goes with it.
    let (s, v) = json(d.delete("/api/cameras/two/stream")).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("stopped")), "{v}");
    wait_for(
        "stream ended on request",
        Duration::from_secs(5),
        async || cams.clients(1).await == 0,
    )
    .await;
    let (s, v) = json(d.delete("/api/cameras/two/stream")).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("not_streaming")),
        "{v}"
    );

    // A disabled camera has no live view.
    let (s, _) = json(
        d.put("/api/cameras/one")
            .json(&serde_json::json!({"enabled": false})),
    )
    .await;
    assert_eq!(s, 200);
    expect_error(
        d.get("/api/cameras/one/stream/stream.m3u8"),
        400,
        "CAMERA_DISABLED",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_paths_refuse_traversal() {
    let d =
        Daemon::start_with_config(Some(&camera("cam", "rtsp://127.0.0.1:9/none", "h264"))).await;
    for path in [
        "/api/cameras/cam/stream/../../../etc/passwd",
        "/api/cameras/cam/stream/%2e%2e/%2e%2e/etc/passwd",
        "/api/cameras/cam/stream/%2E%2E%2Fconfig",
        "/api/cameras/cam/stream//etc/passwd",
        "/api/cameras/cam/stream/..%5c..%5cconfig",
        "/api/cameras/cam/stream/a/./b.ts",
        "/api/cameras/cam/stream/%252e%252e/x",
        "/api/cameras/nope/stream/../x",
    ] {
        let (code, body) = raw_get(&d.base, path).await;
        assert_eq!(code, 400, "{path}: {body}");
        assert!(body.contains("PATH_TRAVERSAL"), "{path}: {body}");
    }
    // Not traversal, just unknown.
    let (code, body) = raw_get(&d.base, "/api/cameras/cam/stream/segment_1.mp4").await;
    assert_eq!(code, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_live_sends_init_then_decodable_fragments() {
    use futures::StreamExt;
    let _g = SERIAL.lock().await;
    let cams = FakeCam::start(&["codec=h264,size=320x240,fps=25,gop=25"], &[]);
    let d = Daemon::start_with_config(Some(&camera("ws", &cams.url(0), "h264"))).await;
    let url = format!("{}/api/cameras/ws/live", d.base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(15), ws.next())
        .await
        .expect("init message")
        .unwrap()
        .unwrap();
    let init: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(init["type"], "init");
    assert!(
        init["codecs"].as_str().unwrap().starts_with("avc1."),
        "{init}"
    );
    assert_eq!(
        (init["width"].as_u64(), init["height"].as_u64()),
        (Some(320), Some(240))
    );
    let mut mp4 = Vec::new();
    let mut fragments = 0;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("media")
            .unwrap()
            .unwrap();
        if msg.is_binary() {
            let data = msg.into_data();
            if !mp4.is_empty() {
                assert_eq!(&data[4..8], b"moof");
                fragments += 1;
            } else {
                assert_eq!(&data[4..8], b"ftyp");
            }
            mp4.extend_from_slice(&data);
        }
    }
    assert!(
        fragments >= 50,
        "one fragment per frame at 25 fps: {fragments}"
    );
    common::media::assert_decodes("websocket live", &mp4);
    // A plain GET is told what the endpoint is.
    expect_error(d.get("/api/cameras/ws/live"), 400, "INVALID_INPUT").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn live_prefers_the_sub_stream_and_caps_the_frame_rate() {
    let _g = SERIAL.lock().await;
    let cams = FakeCam::start(
        &[
            "codec=h264,size=640x360,fps=25,gop=25",
            "codec=h264,size=320x240,fps=25,gop=25",
        ],
        &[],
    );
    let d = Daemon::start_with_config(Some(&format!(
        "{}sub_stream_url = \"{}\"\nhls_max_fps = 5\n",
        camera("main", &cams.url(0), "h264"),
        cams.url(1)
    )))
    .await;
    wait_for("recording", Duration::from_secs(20), async || {
        let (_, v) = json(d.get("/api/cameras/main")).await;
        v["status"] == "recording"
    })
    .await;
    assert_eq!(
        cams.clients(1).await,
        0,
        "the sub-stream is for viewers only"
    );
    let playlist = text(d.get("/api/cameras/main/stream/stream.m3u8")).await;
    assert!(playlist.contains("segment_000.ts"), "{playlist}");
    assert_eq!(cams.clients(1).await, 1, "live comes from the sub-stream");
    assert_eq!(
        cams.clients(0).await,
        1,
        "recording keeps its one connection"
    );
    // A segment that starts at a key frame (the first is cut early, so the second may
    // not): 320x240, about 5 fps, and it decodes on its own.
    let mut seg = Vec::new();
    wait_for("a fourth segment", Duration::from_secs(15), async || {
        let p = text(d.get("/api/cameras/main/stream/stream.m3u8")).await;
        if p.contains("segment_003.ts") {
            seg = d
                .get("/api/cameras/main/stream/segment_002.ts")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec();
            true
        } else {
            false
        }
    })
    .await;
    let probe = common::media::probe_video("s.ts", &seg, "width,height,nb_read_frames");
    let f: Vec<u64> = probe
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    assert_eq!(f.len(), 3, "{probe}");
    assert_eq!((f[0], f[1]), (320, 240), "{probe}");
    let duration = playlist_duration(
        &text(d.get("/api/cameras/main/stream/stream.m3u8")).await,
        2,
    );
    let fps = f[2] as f64 / duration;
    assert!(
        (3.0..=8.0).contains(&fps),
        "capped at 5 fps: {fps:.1} ({probe}, {duration} s)"
    );
    common::media::assert_decodes_as("the capped segment", "s.ts", &seg);
}

/// EXTINF of segment `msn` in a playlist.
fn playlist_duration(playlist: &str, msn: u64) -> f64 {
    let name = format!("segment_{msn:03}.ts");
    let lines: Vec<&str> = playlist.lines().collect();
    let i = lines
        .iter()
        .position(|l| *l == name)
        .expect("segment listed");
    lines[i - 1]
        .trim_start_matches("#EXTINF:")
        .trim_end_matches(',')
        .parse()
        .unwrap()
}

/// The newest segment number a live playlist lists.
fn last_segment(playlist: &str) -> u64 {
    playlist
        .lines()
        .filter_map(|l| {
            l.strip_prefix("segment_")?
                .strip_suffix(".ts")?
                .parse()
                .ok()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn live_follows_the_camera_through_stop_start_and_re_adding() {
    let _g = SERIAL.lock().await;
    let cams = FakeCam::start(&["codec=h264,size=320x240,fps=15,gop=15"], &[]);
    let d = Daemon::start_with_config(Some(&camera("c", &cams.url(0), "h264"))).await;
    let recording = async || {
        wait_for("recording", Duration::from_secs(20), async || {
            json(d.get("/api/cameras/c")).await.1["status"] == "recording"
        })
        .await
    };
    // The playlist advances (fetching it keeps the stream alive, as a player does).
    let advances = async |what: &str| {
        let first = last_segment(&text(d.get("/api/cameras/c/stream/stream.m3u8")).await);
        let mut last = first;
        for _ in 0..16 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            last = last_segment(&text(d.get("/api/cameras/c/stream/stream.m3u8")).await);
            if last >= first + 2 {
                return;
            }
        }
        panic!("{what}: the live playlist stopped at segment {last} (from {first})");
    };
    recording().await;
    advances("recording").await;
    // Stop and start: the recording pipeline (the stream's source) is replaced.
    json(d.post("/api/cameras/c/stop")).await;
    json(d.post("/api/cameras/c/start")).await;
    recording().await;
    advances("after stop/start").await;
    // Deleted and added again at once, with the same id and URL.
    let (_, cam) = json(d.get("/api/cameras/c")).await;
    json(d.delete("/api/cameras/c")).await;
    let body =
        serde_json::json!({"id": "c", "name": cam["name"], "url": cams.url(0), "encoding": "h264"});
    let (s, v) = json(d.post("/api/cameras").json(&body)).await;
    assert_eq!(s, 201, "{v}");
    recording().await;
    advances("after delete and add").await;
}
