//! PTZ: moves (absolute, relative, continuous; the spec's two body shapes), stop, status and
//! presets, on the camera's PTZ-capable profile. Values are checked against the ranges the
//! device's PTZ node declares (generic spaces when it declares none) before anything is
//! sent, so an out-of-range request changes nothing.

use super::device::{Device, Profile};
use crate::error::{ApiError, ApiResult, ErrorCode};
use quick_xml::escape::escape as xml_escape;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const PTZ: &str = "http://www.onvif.org/ver20/ptz/wsdl";

/// `POST …/ptz/move`: `{mode, pan, tilt, zoom, speed}`, or the older `{x, y, zoom, speed}`
/// (a continuous move with pan = x, tilt = y).
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// `absolute`, `relative` or `continuous` (default).
    pub mode: Option<String>,
    pub pan: Option<f32>,
    pub tilt: Option<f32>,
    pub zoom: Option<f32>,
    /// 0..1; scales a continuous move's velocity, the speed of the others.
    pub speed: Option<f32>,
    pub x: Option<f32>,
    pub y: Option<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Absolute,
    Relative,
    Continuous,
}

/// A validated move.
#[derive(Debug, PartialEq)]
pub struct Move {
    pub mode: Mode,
    pub pan: f32,
    pub tilt: f32,
    pub zoom: f32,
    pub speed: Option<f32>,
}

/// Inclusive ranges of one kind of move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranges {
    pub pan: (f32, f32),
    pub tilt: (f32, f32),
    pub zoom: (f32, f32),
}

impl Ranges {
    /// ONVIF's generic spaces, for devices whose node declares none.
    pub fn generic(mode: Mode) -> Self {
        match mode {
            Mode::Absolute => Self {
                pan: (-1.0, 1.0),
                tilt: (-1.0, 1.0),
                zoom: (0.0, 1.0),
            },
            Mode::Relative | Mode::Continuous => Self {
                pan: (-1.0, 1.0),
                tilt: (-1.0, 1.0),
                zoom: (-1.0, 1.0),
            },
        }
    }
}

fn in_range(name: &str, v: f32, (lo, hi): (f32, f32)) -> ApiResult<f32> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(ApiError::invalid(format!(
            "{name} {v} is outside the camera's range {lo}..{hi}"
        )))
    }
}

impl MoveRequest {
    pub fn mode(&self) -> ApiResult<Mode> {
        match self.mode.as_deref() {
            None | Some("continuous") => Ok(Mode::Continuous),
            Some("absolute") => Ok(Mode::Absolute),
            Some("relative") => Ok(Mode::Relative),
            Some(m) => Err(ApiError::invalid(format!(
                "mode {m:?}: expected absolute, relative or continuous"
            ))),
        }
    }

    /// Checks the request against `ranges`; `current` fills an absolute move's missing axes.
    pub fn validate(&self, ranges: Ranges, current: Option<(f32, f32, f32)>) -> ApiResult<Move> {
        let mode = self.mode()?;
        if (self.x.is_some() && self.pan.is_some()) || (self.y.is_some() && self.tilt.is_some()) {
            return Err(ApiError::invalid("give pan/tilt or x/y, not both"));
        }
        if (self.x.is_some() || self.y.is_some()) && mode != Mode::Continuous {
            return Err(ApiError::invalid(
                "x/y is the continuous-move shape; use pan/tilt with mode",
            ));
        }
        let pan = self.pan.or(self.x);
        let tilt = self.tilt.or(self.y);
        if pan.is_none() && tilt.is_none() && self.zoom.is_none() {
            return Err(ApiError::invalid("a move needs pan, tilt or zoom"));
        }
        let speed = self
            .speed
            .map(|s| in_range("speed", s, (0.0, 1.0)))
            .transpose()?;
        let (pan, tilt, zoom) = match mode {
            Mode::Absolute => {
                let (cp, ct, cz) = match current {
                    Some(c) => c,
                    None if pan.is_some() && tilt.is_some() && self.zoom.is_some() => {
                        (0.0, 0.0, 0.0)
                    }
                    None => {
                        return Err(ApiError::invalid(
                            "an absolute move needs pan, tilt and zoom (the camera does not report its position)",
                        ));
                    }
                };
                (
                    pan.unwrap_or(cp),
                    tilt.unwrap_or(ct),
                    self.zoom.unwrap_or(cz),
                )
            }
            _ => (
                pan.unwrap_or(0.0),
                tilt.unwrap_or(0.0),
                self.zoom.unwrap_or(0.0),
            ),
        };
        Ok(Move {
            mode,
            pan: in_range("pan", pan, ranges.pan)?,
            tilt: in_range("tilt", tilt, ranges.tilt)?,
            zoom: in_range("zoom", zoom, ranges.zoom)?,
            speed,
        })
    }
}

/// `GET …/ptz/status`: both shapes (`x` = pan, `y` = tilt).
#[derive(Debug, Serialize, ToSchema)]
pub struct PtzStatus {
    pub pan: Option<f32>,
    pub tilt: Option<f32>,
    pub zoom: Option<f32>,
    pub moving: bool,
    pub x: Option<f32>,
    pub y: Option<f32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Position {
    pub pan: Option<f32>,
    pub tilt: Option<f32>,
    pub zoom: Option<f32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preset {
    pub token: String,
    pub name: String,
    pub position: Position,
}

/// The camera's PTZ address and PTZ profile; 501 when it has none.
pub async fn target(dev: &Device, wanted_profile: &str) -> ApiResult<(String, Profile)> {
    let none = || {
        ApiError::new(
            ErrorCode::NotImplemented,
            format!("the camera at {} has no PTZ", dev.url),
        )
    };
    let url = dev.ptz_url.clone().ok_or_else(none)?;
    let profiles = dev.profiles().await?;
    let wanted = super::device::pick(profiles.clone(), wanted_profile)
        .filter(|p| p.ptz_config_token.is_some());
    let profile = wanted
        .or_else(|| profiles.into_iter().find(|p| p.ptz_config_token.is_some()))
        .ok_or_else(none)?;
    Ok((url, profile))
}

/// The ranges of `mode` from the device's PTZ node (the generic spaces where it declares none).
pub async fn ranges(dev: &Device, ptz_url: &str, mode: Mode) -> Ranges {
    let mut r = Ranges::generic(mode);
    let Ok(nodes) = dev.client().ptz_get_nodes(ptz_url).await else {
        return r;
    };
    let Some(node) = nodes.first() else {
        return r;
    };
    let kind = match mode {
        Mode::Absolute => "Position",
        Mode::Relative => "Translation",
        Mode::Continuous => "Velocity",
    };
    let generic = |uri: &str| uri.contains(kind) && uri.contains("Generic");
    if let Some(s) = node.pan_tilt_spaces.iter().find(|s| generic(&s.uri)) {
        r.pan = s.x_range;
        r.tilt = s.y_range.unwrap_or(s.x_range);
    }
    if let Some(s) = node.zoom_spaces.iter().find(|s| generic(&s.uri)) {
        r.zoom = s.x_range;
    }
    r
}

/// The current position, when the device reports one.
pub async fn position(dev: &Device, ptz_url: &str, profile: &str) -> Option<(f32, f32, f32)> {
    let s = dev.client().ptz_get_status(ptz_url, profile).await.ok()?;
    Some((s.pan?, s.tilt?, s.zoom.unwrap_or(0.0)))
}

/// Sends a validated move.
pub async fn send_move(dev: &Device, ptz_url: &str, profile: &str, m: &Move) -> ApiResult<()> {
    let token = xml_escape(profile);
    let vector =
        |p: f32, t: f32, z: f32| format!("<tt:PanTilt x=\"{p}\" y=\"{t}\"/><tt:Zoom x=\"{z}\"/>");
    let speed = m
        .speed
        .map(|s| format!("<tptz:Speed>{}</tptz:Speed>", vector(s, s, s)))
        .unwrap_or_default();
    let (op, body) = match m.mode {
        Mode::Absolute => (
            "AbsoluteMove",
            format!(
                "<tptz:Position>{}</tptz:Position>{speed}",
                vector(m.pan, m.tilt, m.zoom)
            ),
        ),
        Mode::Relative => (
            "RelativeMove",
            format!(
                "<tptz:Translation>{}</tptz:Translation>{speed}",
                vector(m.pan, m.tilt, m.zoom)
            ),
        ),
        Mode::Continuous => {
            let s = m.speed.unwrap_or(1.0);
            (
                "ContinuousMove",
                format!(
                    "<tptz:Velocity>{}</tptz:Velocity>",
                    vector(m.pan * s, m.tilt * s, m.zoom * s)
                ),
            )
        }
    };
    let xml =
        format!("<tptz:{op}><tptz:ProfileToken>{token}</tptz:ProfileToken>{body}</tptz:{op}>");
    dev.call(
        ptz_url,
        &format!("{PTZ}/{op}"),
        &xml,
        &format!("{op}Response"),
    )
    .await
    .map_err(dev.fail(op))?;
    Ok(())
}

pub async fn status(dev: &Device, ptz_url: &str, profile: &str) -> ApiResult<PtzStatus> {
    let s = dev
        .client()
        .ptz_get_status(ptz_url, profile)
        .await
        .map_err(dev.fail("PTZ GetStatus"))?;
    let moving = |st: &str| st.eq_ignore_ascii_case("MOVING");
    Ok(PtzStatus {
        pan: s.pan,
        tilt: s.tilt,
        zoom: s.zoom,
        moving: moving(&s.pan_tilt_status) || moving(&s.zoom_status),
        x: s.pan,
        y: s.tilt,
    })
}

pub async fn presets(dev: &Device, ptz_url: &str, profile: &str) -> ApiResult<Vec<Preset>> {
    let list = dev
        .client()
        .ptz_get_presets(ptz_url, profile)
        .await
        .map_err(dev.fail("GetPresets"))?;
    Ok(list
        .into_iter()
        .map(|p| Preset {
            token: p.token,
            name: p.name,
            position: Position {
                pan: p.pan_tilt.map(|(x, _)| x),
                tilt: p.pan_tilt.map(|(_, y)| y),
                zoom: p.zoom,
            },
        })
        .collect())
}

/// Checks a preset name: 1..=64 printable characters.
pub fn check_preset_name(name: &str) -> ApiResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "preset name must be 1 to 64 printable characters",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> MoveRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_older_shape_is_a_continuous_move() {
        let r = Ranges::generic(Mode::Continuous);
        let m = req(r#"{"x":0.5,"y":-0.25,"zoom":0.1,"speed":1.0}"#)
            .validate(r, None)
            .unwrap();
        assert_eq!(
            m,
            Move {
                mode: Mode::Continuous,
                pan: 0.5,
                tilt: -0.25,
                zoom: 0.1,
                speed: Some(1.0)
            }
        );
    }

    #[test]
    fn out_of_range_and_ambiguous_moves_are_refused() {
        let abs = Ranges::generic(Mode::Absolute);
        for bad in [
            r#"{"mode":"absolute","pan":1.5,"tilt":0,"zoom":0}"#,
            r#"{"mode":"absolute","pan":0,"tilt":0,"zoom":-0.1}"#,
            r#"{"mode":"absolute","pan":0,"tilt":0,"zoom":0,"speed":2}"#,
            r#"{"mode":"sideways","pan":0}"#,
            r#"{"x":0.1,"pan":0.1}"#,
            r#"{"mode":"absolute","x":0.1}"#,
            r#"{}"#,
        ] {
            assert!(req(bad).validate(abs, None).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<MoveRequest>(r#"{"pan":0,"roll":1}"#).is_err());
    }

    #[test]
    fn an_absolute_move_keeps_the_axes_it_does_not_name() {
        let m = req(r#"{"mode":"absolute","pan":0.2}"#)
            .validate(Ranges::generic(Mode::Absolute), Some((0.9, -0.3, 0.4)))
            .unwrap();
        assert_eq!((m.pan, m.tilt, m.zoom), (0.2, -0.3, 0.4));
        assert!(
            req(r#"{"mode":"absolute","pan":0.2}"#)
                .validate(Ranges::generic(Mode::Absolute), None)
                .is_err()
        );
    }
}
