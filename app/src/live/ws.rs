//! The low-latency live path (beyond the spec): `GET /api/cameras/:id/live` upgrades to a
//! WebSocket that carries fMP4 for Media Source Extensions. First a text message
//! `{"type":"init","codecs":"avc1.…","width":…,"height":…}`, then the init segment (binary),
//! then one moof+mdat per video frame (binary), starting at the last key frame. New
//! parameters send a new init pair. A viewer that falls behind skips to the next key frame.

use super::LiveStream;
use super::segment::{PartFrame, fmp4_part};
use crate::media::{MediaEvent, StreamParams, fmp4};
use axum::extract::ws::{Message, WebSocket};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

pub async fn serve(mut socket: WebSocket, stream: Arc<LiveStream>) {
    let (params, gop, mut rx) = stream.hub.subscribe();
    let mut viewer = Viewer {
        seq: 0,
        last_pts_90k: None,
        last_dur_90k: 3_600,
        waiting_key: true,
        started: false,
    };
    if let Some(p) = params
        && viewer.send_init(&mut socket, &p).await.is_err()
    {
        return;
    }
    for ev in gop {
        if viewer.on_event(&mut socket, ev).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    stream.shared.touch();
                    if viewer.on_event(&mut socket, ev).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => viewer.waiting_key = true,
                Err(RecvError::Closed) => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
            msg = socket.recv() => match msg {
                // The viewer only listens; anything but a close is ignored.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

struct Viewer {
    seq: u32,
    last_pts_90k: Option<i64>,
    last_dur_90k: u32,
    waiting_key: bool,
    started: bool,
}

type SendResult = Result<(), axum::Error>;

impl Viewer {
    async fn send_init(&mut self, socket: &mut WebSocket, p: &StreamParams) -> SendResult {
        let Ok(init) = fmp4::init_segment(&p.video, None, None) else {
            return Ok(());
        };
        let (w, h) = p.video.video_size.unwrap_or((0, 0));
        let text = serde_json::json!({
            "type": "init", "codecs": p.video_codec, "format": p.format, "width": w, "height": h,
        })
        .to_string();
        socket.send(Message::Text(text.into())).await?;
        socket.send(Message::Binary(init.into())).await?;
        self.started = true;
        self.waiting_key = true;
        self.last_pts_90k = None;
        Ok(())
    }

    async fn on_event(&mut self, socket: &mut WebSocket, ev: MediaEvent) -> SendResult {
        match ev {
            MediaEvent::SessionStart(p) | MediaEvent::Params(p) => self.send_init(socket, &p).await,
            MediaEvent::SessionEnd => {
                self.waiting_key = true;
                Ok(())
            }
            MediaEvent::Audio(_) => Ok(()),
            MediaEvent::Video(f) => {
                if !self.started || (self.waiting_key && !f.is_key) {
                    return Ok(());
                }
                self.waiting_key = false;
                // The frame goes out now with the last interval as its duration: the next
                // fragment's decode time corrects any error, so nothing accumulates.
                if let Some(last) = self.last_pts_90k {
                    let d = f.pts_90k - last;
                    if d > 0 && d < 450_000 {
                        self.last_dur_90k = d as u32;
                    }
                }
                self.last_pts_90k = Some(f.pts_90k);
                self.seq = self.seq.wrapping_add(1);
                let frame = PartFrame {
                    pts_90k: f.pts_90k,
                    duration_90k: self.last_dur_90k,
                    is_key: f.is_key,
                    data: f.data.clone(),
                };
                match fmp4_part(self.seq, &[frame], &[], None) {
                    Ok(frag) => socket.send(Message::Binary(frag.into())).await,
                    Err(_) => Ok(()),
                }
            }
        }
    }
}
