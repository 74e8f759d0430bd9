//! Bitstreams real cameras send, recorded and decoded: H.265 open GOPs (CRA key frames with
//! leading pictures), H.264 and H.265 with B-frames, a 10 s GOP, parameter sets only in the SDP, several slices per picture, AUD and SEI NAL
//! units, and a resolution change mid-stream. Each fake camera is first checked by
//! fakecam_probe.py (its own RTSP client and NAL parser) to really send its variant, so a
//! fixture tuned to what the recorder expects fails here instead of hiding the variant.

mod common;
use common::fakecam::FakeCam;
use common::recordings::*;
use common::*;
use serde_json::Value;
use std::time::Duration;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Variant {
    id: &'static str,
    spec: &'static str,
    /// What fakecam_probe.py must find.
    expect: &'static str,
    /// Leading pictures a decoder skips at a recording's first key frame (open GOPs).
    leading: u64,
    /// B-frames between references: a run stopped mid-GOP ends with references whose
    /// B-frames never came, so its last recording spans up to that many frames more.
    bframes: u64,
    /// How long the probe listens (a long GOP needs two key frames).
    probe_s: u32,
}

/// Every camera is checked by the probe before it is recorded.
async fn probe_all(fc: &FakeCam, variants: &[Variant]) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fakecam_probe.py"
    );
    let mut runs = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let url = fc.url(i);
        let expect = v.expect.to_string();
        let secs = v.probe_s.to_string();
        runs.push(tokio::task::spawn_blocking(move || {
            std::process::Command::new("/usr/bin/python3")
                .arg(script)
                .arg(&url)
                .args(["--expect", &expect, "--seconds", &secs, "--no-decode"])
                .output()
                .unwrap()
        }));
    }
    for (v, run) in variants.iter().zip(runs) {
        let out = run.await.unwrap();
        assert!(
            out.status.success(),
            "{}: the fixture does not send its variant ({}): {}{}",
            v.id,
            v.expect,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every recording decodes with `-xerror`, holds the frames its row says (less the leading
/// pictures a decoder skips at its start), and lasts what its frames last.
async fn check_recordings(d: &Daemon, v: &Variant, fps: f64) -> Vec<Value> {
    let recs = recordings(d, v.id).await;
    assert!(!recs.is_empty(), "{}: nothing recorded", v.id);
    for r in &recs {
        let (dur, frames, _) = verify(d, r).await;
        let indexed = r["frame_count"].as_u64().unwrap();
        assert!(
            frames <= indexed && frames + v.leading >= indexed,
            "{}: {frames} frames decoded of {indexed} ({})",
            v.id,
            r["id"]
        );
        let rd = r["duration"].as_f64().unwrap();
        assert!(
            (rd - indexed as f64 / fps).abs() <= (2 + v.bframes) as f64 / fps + 0.01,
            "{}: {rd} s for {indexed} frames",
            v.id
        );
        assert!(
            (dur - rd).abs() <= (v.leading as f64 + 2.0) / fps + 0.01,
            "{}: ffprobe {dur} s, index {rd} s",
            v.id
        );
    }
    recs
}

async fn record(variants: &[Variant], fps: u32, resize: Option<usize>) {
    let specs: Vec<String> = variants
        .iter()
        .map(|v| format!("{},size=320x240,fps={fps}", v.spec))
        .collect();
    let specs: Vec<&str> = specs.iter().map(|s| s.as_str()).collect();
    let fc = FakeCam::start(&specs, &[]);
    probe_all(&fc, variants).await;
    let cams: Vec<String> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let enc = if v.spec.contains("h265") {
                "h265"
            } else {
                "h264"
            };
            camera_toml(v.id, "rtsp", enc, &fc.url(i), "")
        })
        .collect();
    let d = Daemon::start_with_config(Some(&format!(
        "[storage]\nsegment_duration = \"10s\"\n\n{}",
        cams.join("\n")
    )))
    .await;
    for v in variants {
        wait_status(&d, v.id, "recording", Duration::from_secs(30)).await;
    }
    let recorded = async |id: &str, secs: f64| {
        recordings(&d, id)
            .await
            .iter()
            .map(|r| r["duration"].as_f64().unwrap())
            .sum::<f64>()
            >= secs
    };
    if let Some(i) = resize {
        wait_for("before the resize", Duration::from_secs(60), async || {
            recorded(variants[i].id, 10.0).await
        })
        .await;
        fc.control(i, "resize-352x288").await;
    }
    for v in variants {
        wait_for(
            &format!("{}: 20 s recorded", v.id),
            Duration::from_secs(90),
            async || recorded(v.id, 20.0).await,
        )
        .await;
    }
    for v in variants {
        stop_and_flush(&d, v.id).await;
    }
    for (i, v) in variants.iter().enumerate() {
        let recs = check_recordings(&d, v, fps as f64).await;
        let frames: u64 = recs
            .iter()
            .map(|r| r["frame_count"].as_u64().unwrap())
            .sum();
        let secs: f64 = recs.iter().map(|r| r["duration"].as_f64().unwrap()).sum();
        println!(
            "{}: {} recordings, {frames} frames, {secs:.1} s, all decode",
            v.id,
            recs.len()
        );
        if Some(i) == resize {
            let sizes: std::collections::BTreeSet<(u64, u64)> = recs
                .iter()
                .map(|r| (r["width"].as_u64().unwrap(), r["height"].as_u64().unwrap()))
                .collect();
            assert_eq!(
                sizes,
                [(320, 240), (352, 288)].into_iter().collect(),
                "{}: both sizes recorded",
                v.id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h265_open_gops_b_frames_sdp_parameters_slices_and_sei() {
    let _g = SERIAL.lock().await;
    let variants = [
        Variant {
            id: "h265-open-gop-b",
            spec: "codec=h265,gop=15,open_gop=1,bframes=3",
            expect: "codec=h265,open_gop=1,bframes=3",
            leading: 3,
            bframes: 3,
            probe_s: 5,
        },
        Variant {
            id: "h265-open-gop",
            spec: "codec=h265,gop=15,open_gop=1",
            expect: "codec=h265,open_gop=1",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
        Variant {
            id: "h265-b",
            spec: "codec=h265,gop=15,bframes=2",
            expect: "codec=h265,bframes=2",
            leading: 0,
            bframes: 2,
            probe_s: 5,
        },
        Variant {
            id: "h265-sdp-params",
            spec: "codec=h265,gop=15,params=sdp",
            expect: "codec=h265,params=sdp",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
        Variant {
            id: "h265-slices",
            spec: "codec=h265,gop=15,slices=4",
            expect: "codec=h265,slices=4",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
        Variant {
            id: "h265-sei-aud",
            spec: "codec=h265,gop=15,sei_aud=1",
            expect: "codec=h265,sei_aud=1",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
    ];
    record(&variants, 10, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h264_b_frames_long_gops_sdp_parameters_slices_sei_and_a_resize() {
    let _g = SERIAL.lock().await;
    let variants = [
        Variant {
            id: "h264-b",
            spec: "codec=h264,gop=15,bframes=2",
            expect: "codec=h264,bframes=2",
            leading: 0,
            bframes: 2,
            probe_s: 5,
        },
        Variant {
            id: "h264-10s-gop",
            spec: "codec=h264,gop=100",
            expect: "codec=h264,gop=100",
            leading: 0,
            bframes: 0,
            probe_s: 14,
        },
        Variant {
            id: "h264-sdp-params",
            spec: "codec=h264,gop=15,params=sdp",
            expect: "codec=h264,params=sdp",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
        Variant {
            id: "h264-slices",
            spec: "codec=h264,gop=15,slices=4",
            expect: "codec=h264,slices=4",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
        Variant {
            id: "h264-sei-aud",
            spec: "codec=h264,gop=15,sei_aud=1",
            expect: "codec=h264,sei_aud=1",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
        Variant {
            id: "h264-resized",
            spec: "codec=h264,gop=15",
            expect: "codec=h264",
            leading: 0,
            bframes: 0,
            probe_s: 5,
        },
    ];
    record(&variants, 10, Some(5)).await;
}
