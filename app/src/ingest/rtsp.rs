//! One RTSP session with retina: DESCRIBE, SETUP (H.264, H.265 or MJPEG video, and AAC or
//! G.711 audio when offered; G.711 is expanded to 16-bit PCM), PLAY,
//! then publish every access unit to the hub until the stream ends, stalls or is stopped.

use super::{SessionError, Status};
use crate::config::{CameraConfig, RtspTransport};
use crate::media::fmp4::{TrackSpec, VIDEO_TIMESCALE};
use crate::media::{AudioFrame, MediaEvent, StreamParams, VideoFrame, now_wall_ns};
use futures::StreamExt;
use retina::client::{Credentials, PlayOptions, Session, SessionOptions, SetupOptions, Transport};
use retina::codec::{CodecItem, FrameFormat, ParametersRef, VideoParameters, VideoParametersCodec};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// No video for this long: the camera stalled (audio and RTCP keep flowing from a camera
/// whose video encoder hung; they do not count).
pub const STALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on DESCRIBE/SETUP/PLAY.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub fn session_options(cam: &CameraConfig) -> SessionOptions {
    let creds = (!cam.username.is_empty() || !cam.password.is_empty()).then(|| Credentials {
        username: cam.username.clone(),
        password: cam.password.clone(),
    });
    SessionOptions::default()
        .creds(creds)
        .user_agent(format!("mibee-nvr/{}", env!("CARGO_PKG_VERSION")))
}

pub fn transport(cam: &CameraConfig) -> Transport {
    match cam.rtsp_transport {
        RtspTransport::Tcp => Transport::default(),
        RtspTransport::Udp => "udp".parse().expect("udp transport"),
    }
}

fn video_spec(vp: &VideoParameters) -> Result<TrackSpec, SessionError> {
    let (w, h) = vp.pixel_dimensions();
    crate::media::check_picture_size(w, h).map_err(SessionError::Media)?;
    let entry = vp
        .mp4_sample_entry()
        .build()
        .map_err(|e| SessionError::Media(format!("video sample entry: {e}")))?;
    Ok(TrackSpec {
        sample_entry: entry,
        timescale: VIDEO_TIMESCALE,
        video_size: Some(vp.pixel_dimensions()),
    })
}

fn params_of(
    session_streams: &[retina::client::Stream],
    video_i: usize,
    audio: Option<&AudioTrack>,
) -> Result<Option<StreamParams>, SessionError> {
    let Some(ParametersRef::Video(vp)) = session_streams[video_i].parameters() else {
        return Ok(None);
    };
    let format = match session_streams[video_i].encoding_name() {
        "h265" => "h265",
        "jpeg" => {
            let (w, h) = vp.pixel_dimensions();
            return crate::media::mjpeg::params(w, h)
                .map(Some)
                .map_err(|e| SessionError::Media(format!("MJPEG sample entry: {e}")));
        }
        _ => "h264",
    };
    Ok(Some(StreamParams {
        video: video_spec(vp)?,
        video_codec: vp.rfc6381_codec().to_string(),
        format,
        param_sets: match vp.codec_params() {
            VideoParametersCodec::H264 { sps, pps } => vec![sps.clone(), pps.clone()],
            VideoParametersCodec::H265 { vps, sps, pps } => {
                vec![vps.clone(), sps.clone(), pps.clone()]
            }
            _ => Vec::new(),
        },
        audio_config: audio.and_then(|a| a.aac_config.clone()),
        audio: audio.map(|a| a.spec.clone()),
    }))
}

/// The audio stream this session records.
struct AudioTrack {
    index: usize,
    spec: TrackSpec,
    /// AAC: its AudioSpecificConfig.
    aac_config: Option<bytes::Bytes>,
    /// G.711: expanded to PCM on arrival.
    g711: Option<crate::media::g711::Law>,
}

fn audio_track(index: usize, s: &retina::client::Stream) -> Option<AudioTrack> {
    let law = match s.encoding_name() {
        "pcma" => Some(crate::media::g711::Law::A),
        "pcmu" => Some(crate::media::g711::Law::Mu),
        "mpeg4-generic" => None,
        _ => return None,
    };
    let Some(ParametersRef::Audio(ap)) = s.parameters() else {
        return None;
    };
    match law {
        Some(law) => Some(AudioTrack {
            index,
            spec: crate::media::g711::pcm_track(ap.clock_rate()).ok()?,
            aac_config: None,
            g711: Some(law),
        }),
        None => Some(AudioTrack {
            index,
            spec: TrackSpec {
                sample_entry: ap.mp4_sample_entry().build().ok()?,
                timescale: ap.clock_rate(),
                video_size: None,
            },
            aac_config: Some(bytes::Bytes::copy_from_slice(ap.extra_data())),
            g711: None,
        }),
    }
}

/// Connects and plays; returns when the session ends. `Ok` means a clean stop request.
pub async fn run_session(
    cam: &CameraConfig,
    sink: &mut super::Sink,
    status: &Status,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), SessionError> {
    let url =
        url::Url::parse(&cam.url).map_err(|e| SessionError::Config(format!("bad url: {e}")))?;
    let mut session = tokio::time::timeout(
        CONNECT_TIMEOUT,
        Session::describe(url, session_options(cam)),
    )
    .await
    .map_err(|_| SessionError::Timeout("DESCRIBE".into()))?
    .map_err(SessionError::from_retina)?;
    let video_i = session
        .streams()
        .iter()
        .position(|s| s.media() == "video" && matches!(s.encoding_name(), "h264" | "h265" | "jpeg"))
        .ok_or_else(|| {
            SessionError::Media("the camera offers no H.264, H.265 or MJPEG video stream".into())
        })?;
    let setup = || {
        SetupOptions::default()
            .transport(transport(cam))
            .frame_format(FrameFormat::MP4)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, session.setup(video_i, setup()))
        .await
        .map_err(|_| SessionError::Timeout("SETUP".into()))?
        .map_err(SessionError::from_retina)?;
    // Audio: AAC as it is, G.711 expanded to 16-bit PCM; other codecs are skipped.
    let mut audio: Option<AudioTrack> = None;
    let candidate = session
        .streams()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.media() == "audio")
        .find_map(|(i, s)| audio_track(i, s));
    if let Some(track) = candidate
        && tokio::time::timeout(CONNECT_TIMEOUT, session.setup(track.index, setup()))
            .await
            .is_ok_and(|r| r.is_ok())
    {
        audio = Some(track);
    }
    let playing = tokio::time::timeout(CONNECT_TIMEOUT, session.play(PlayOptions::default()))
        .await
        .map_err(|_| SessionError::Timeout("PLAY".into()))?
        .map_err(SessionError::from_retina)?;
    let mut demuxed = playing.demuxed().map_err(SessionError::from_retina)?;
    let audio_i = audio.as_ref().map(|a| a.index);
    let g711 = audio.as_ref().and_then(|a| a.g711);
    let mut params: Option<Arc<StreamParams>> = None;
    let mut started = false;
    // Stall detection on video only, with one timer per session re-armed only when it fires
    // (a timer per frame costs a timer-wheel insert and removal 25 times a second per camera).
    let mut last_video = Instant::now();
    let stall = tokio::time::sleep(STALL_TIMEOUT);
    tokio::pin!(stall);
    let result = loop {
        let item = tokio::select! {
            biased;
            _ = stop.changed() => break Ok(()),
            r = demuxed.next() => r,
            _ = &mut stall => {
                let deadline = last_video + STALL_TIMEOUT;
                if Instant::now() >= deadline {
                    break Err(SessionError::NoVideo(STALL_TIMEOUT.as_secs()));
                }
                stall.as_mut().reset(deadline.into());
                continue;
            }
        };
        let item = match item {
            None => break Err(SessionError::Ended),
            Some(Err(e)) => break Err(SessionError::from_retina(e)),
            Some(Ok(item)) => item,
        };
        // One reading of each clock per item.
        let now = Instant::now();
        match item {
            CodecItem::VideoFrame(f) => {
                last_video = now;
                if f.has_new_parameters() || params.is_none() {
                    let Some(p) = params_of(demuxed.streams(), video_i, audio.as_ref())? else {
                        continue;
                    };
                    let p = Arc::new(p);
                    let changed = params.as_ref().is_some_and(|old| **old != *p);
                    params = Some(p.clone());
                    if !started {
                        sink.emit(MediaEvent::SessionStart(p));
                        started = true;
                    } else if changed {
                        sink.emit(MediaEvent::Params(p));
                    }
                }
                let now_wall = now_wall_ns();
                status.seen(now_wall);
                let received = f.start_ctx().received();
                // retina flags IDR pictures only; open GOPs start at CRA / recovery points.
                let format = params.as_ref().map_or("", |p| p.format);
                let is_key = f.is_random_access_point()
                    || crate::media::nal::is_random_access(format, f.data());
                sink.emit(MediaEvent::Video(Arc::new(VideoFrame {
                    pts_90k: f.timestamp().elapsed(),
                    is_key,
                    received,
                    received_wall_ns: now_wall
                        - now.saturating_duration_since(received).as_nanos() as i64,
                    data: f.into_data().into(),
                })));
            }
            CodecItem::AudioFrame(f) if Some(f.stream_id()) == audio_i && started => {
                sink.emit(MediaEvent::Audio(Arc::new(AudioFrame {
                    pts: f.timestamp().elapsed(),
                    duration: f.frame_length().get(),
                    data: match g711 {
                        Some(law) => crate::media::g711::to_pcm_le(law, f.data()).into(),
                        None => bytes::Bytes::copy_from_slice(f.data()),
                    },
                })));
            }
            _ => {}
        }
    };
    if started {
        sink.emit(MediaEvent::SessionEnd);
    }
    result
}
