//! Recording what cameras send beside plain video: AAC and G.711 audio, and a change of the
//! codec parameters mid-stream (against GStreamer's gst-rtsp-server via our fakecam fixture).
//! Every recording produced is downloaded and fully decoded with `ffmpeg -xerror`.

mod common;
use common::fakecam::FakeCam;
use common::recordings::*;
use common::*;
use std::time::Duration;

/// These tests load the CPU with encoders; run them one at a time so timings hold.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn config(id: &str, url: &str) -> String {
    format!(
        "[storage]\nsegment_duration = \"10s\"\n\n{}",
        camera_toml(id, "rtsp", "h264", url, "")
    )
}

/// The picture size changes mid-stream (new SPS/PPS, as when a camera's resolution is changed
/// in its web page): the connection stays up, the run ends at the change, and the next key
/// frame starts a new run in a new file with its own init segment. Every recording decodes and
/// matches its index; the sizes do not mix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_change_mid_stream_starts_a_new_file() {
    let _g = SERIAL.lock().await;
    let fc = FakeCam::start(&["codec=h264,size=320x240,fps=15,gop=15"], &[]);
    let d = Daemon::start_with_config(Some(&config("p", &fc.url(0)))).await;
    wait_status(&d, "p", "recording", Duration::from_secs(20)).await;
    // 6 s of video before the change, 7 s after it.
    wait_recording_run(&d, "p", 6.0, Duration::from_secs(30)).await;
    fc.control(0, "resize-352x288").await;
    let resized = now_ns();
    wait_seen(&d, "p", resized + 7_000_000_000, Duration::from_secs(30)).await;
    assert_eq!(cam(&d, "p").await["status"], "recording");
    assert_eq!(fc.clients(0).await, 1, "the same connection throughout");
    stop_and_flush(&d, "p").await;
    // Within a run recordings are contiguous; across the change they need not be.
    verify_all(&d, "p", 15.0, false).await;
    let recs = recordings(&d, "p").await;
    let mut seen: Vec<(String, String)> = Vec::new();
    for r in &recs {
        let id = r["id"].as_str().unwrap();
        let body = bytes(d.get(&format!("/api/recordings/{id}/download"))).await;
        let size = common::media::probe_video("r.mp4", &body, "width,height");
        assert_eq!(
            size,
            format!("{},{}", r["width"], r["height"]),
            "the index has the recording's size: {r}"
        );
        seen.push((size, r["file_path"].as_str().unwrap().to_string()));
    }
    let sizes: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    let change = sizes
        .iter()
        .position(|s| *s == "352,288")
        .unwrap_or_else(|| panic!("no recording after the change: {sizes:?}"));
    assert!(change > 0, "recordings before the change: {sizes:?}");
    assert!(
        sizes[..change].iter().all(|s| *s == "320,240")
            && sizes[change..].iter().all(|s| *s == "352,288"),
        "sizes do not mix: {sizes:?}"
    );
    assert_ne!(
        seen[change - 1].1,
        seen[change].1,
        "a new file after the change"
    );
    // The new run starts at the first key frame after the change: nothing overlaps.
    let end_before = ns(recs[change - 1]["ended_at"].as_str().unwrap());
    let start_after = ns(recs[change]["started_at"].as_str().unwrap());
    assert!(
        start_after >= end_before,
        "no overlap across the change: {end_before} > {start_after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_aac_audio_alongside_video() {
    records_audio("aac", "aac").await;
}

/// G.711 A-law from the camera is stored as 16-bit PCM (`sowt`), which ffmpeg reads.
#[tokio::test(flavor = "multi_thread")]
async fn records_g711_audio_as_pcm() {
    records_audio("pcma", "pcm_s16le").await;
}

async fn records_audio(camera_audio: &str, want_codec: &str) {
    let _g = SERIAL.lock().await;
    let spec = format!("codec=h264,size=320x240,fps=15,gop=15,audio={camera_audio}");
    let fc = FakeCam::start(&[spec.as_str()], &[]);
    let d = Daemon::start_with_config(Some(&config("av", &fc.url(0)))).await;
    wait_status(&d, "av", "recording", Duration::from_secs(20)).await;
    // A whole segment in the index, then the one being written flushed.
    wait_recordings(&d, "av", 1, Duration::from_secs(60)).await;
    stop_and_flush(&d, "av").await;
    verify_all(&d, "av", 15.0, true).await;
    let recs = recordings(&d, "av").await;
    let id = recs[0]["id"].as_str().unwrap();
    let body = bytes(d.get(&format!("/api/recordings/{id}/download"))).await;
    let p = common::media::probe_json(
        "av.mp4",
        &body,
        &["-show_entries", "stream=codec_type,codec_name,duration"],
    );
    let streams = p["streams"].as_array().unwrap();
    let audio = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .unwrap_or_else(|| panic!("no audio track: {p}"));
    assert_eq!(audio["codec_name"], want_codec, "{p}");
    let video_s: f64 = streams.iter().find(|s| s["codec_type"] == "video").unwrap()["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let audio_s: f64 = audio["duration"].as_str().unwrap().parse().unwrap();
    assert!(
        (audio_s - video_s).abs() < 0.5,
        "audio {audio_s} s vs video {video_s} s"
    );
}
