//! Imaging: settings (get, set) and their options, on the video source of the camera's
//! profile. Values are in the device's own units; `options` gives the ranges and a set is
//! checked against them (and its modes) before anything is sent. A set merges into the
//! current settings, so an exposure time without a mode keeps the device's mode.
//! SetImagingSettings is built here: oxvif's puts the elements out of schema order.

use super::device::Device;
use crate::error::{ApiError, ApiResult, ErrorCode};
use oxvif::types::{FloatRange, ImagingOptions, ImagingSettings};
use quick_xml::escape::escape as xml_escape;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use utoipa::ToSchema;

const IMAGING: &str = "http://www.onvif.org/ver20/imaging/wsdl";

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    /// `auto` or `manual` (lowercase of the device's modes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_time: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gain: Option<f32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WhiteBalance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cr_gain: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cb_gain: Option<f32>,
    /// ONVIF has no colour temperature: always absent; setting it is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color_temperature: Option<f32>,
}

/// `GET/PUT …/imaging/settings`. In a PUT every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brightness: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contrast: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saturation: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharpness: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub white_balance: Option<WhiteBalance>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Range {
    pub min: f32,
    pub max: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureOptions {
    pub modes: Vec<String>,
    pub exposure_time: Option<Range>,
    pub gain: Option<Range>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhiteBalanceOptions {
    pub modes: Vec<String>,
}

/// `GET …/imaging/options`: the ranges a set is checked against (null: the device gives none).
#[derive(Debug, Serialize, ToSchema)]
pub struct Options {
    pub brightness: Option<Range>,
    pub contrast: Option<Range>,
    pub saturation: Option<Range>,
    pub sharpness: Option<Range>,
    pub exposure: ExposureOptions,
    pub white_balance: WhiteBalanceOptions,
}

fn range(r: Option<FloatRange>) -> Option<Range> {
    r.map(|r| Range {
        min: r.min,
        max: r.max,
    })
}

fn lower(v: &[String]) -> Vec<String> {
    v.iter().map(|m| m.to_ascii_lowercase()).collect()
}

impl From<ImagingOptions> for Options {
    fn from(o: ImagingOptions) -> Self {
        Self {
            brightness: range(o.brightness),
            contrast: range(o.contrast),
            saturation: range(o.color_saturation),
            sharpness: range(o.sharpness),
            exposure: ExposureOptions {
                modes: lower(&o.exposure_modes),
                exposure_time: range(o.exposure_time_range),
                gain: range(o.gain_range),
            },
            white_balance: WhiteBalanceOptions {
                modes: lower(&o.white_balance_modes),
            },
        }
    }
}

impl From<&ImagingSettings> for Settings {
    fn from(s: &ImagingSettings) -> Self {
        let low = |m: &Option<String>| m.as_ref().map(|m| m.to_ascii_lowercase());
        let exposure = (s.exposure_mode.is_some() || s.exposure_time.is_some()).then(|| Exposure {
            mode: low(&s.exposure_mode),
            exposure_time: s.exposure_time,
            gain: s.exposure_gain,
        });
        let white_balance = s.white_balance_mode.is_some().then(|| WhiteBalance {
            mode: low(&s.white_balance_mode),
            cr_gain: s.wb_cr_gain,
            cb_gain: s.wb_cb_gain,
            color_temperature: None,
        });
        Self {
            brightness: s.brightness,
            contrast: s.contrast,
            saturation: s.color_saturation,
            sharpness: s.sharpness,
            exposure,
            white_balance,
        }
    }
}

fn check(name: &str, v: Option<f32>, r: Option<Range>) -> ApiResult<()> {
    let Some(v) = v else { return Ok(()) };
    let ok = v.is_finite() && r.is_none_or(|r| v >= r.min && v <= r.max);
    if ok {
        return Ok(());
    }
    let r = r.expect("finite values fail only on a range");
    Err(ApiError::invalid(format!(
        "{name} {v} is outside the camera's range {}..{}",
        r.min, r.max
    )))
}

fn check_mode(name: &str, m: &Option<String>, modes: &[String]) -> ApiResult<()> {
    match m {
        Some(m) if !modes.is_empty() && !modes.contains(&m.to_ascii_lowercase()) => Err(
            ApiError::invalid(format!("{name} {m:?}: the camera supports {modes:?}")),
        ),
        _ => Ok(()),
    }
}

/// Checks a PUT body against the options; returns the settings to send (the request merged
/// into `current`).
pub fn merge(req: &Settings, current: &Settings, o: &Options) -> ApiResult<Settings> {
    check("brightness", req.brightness, o.brightness)?;
    check("contrast", req.contrast, o.contrast)?;
    check("saturation", req.saturation, o.saturation)?;
    check("sharpness", req.sharpness, o.sharpness)?;
    if req == &Settings::default() {
        return Err(ApiError::invalid("no imaging setting given"));
    }
    let mut out = req.clone();
    if let Some(e) = &req.exposure {
        check_mode("exposure.mode", &e.mode, &o.exposure.modes)?;
        check(
            "exposure.exposure_time",
            e.exposure_time,
            o.exposure.exposure_time,
        )?;
        check("exposure.gain", e.gain, o.exposure.gain)?;
        let cur = current.exposure.clone().unwrap_or_default();
        out.exposure = Some(Exposure {
            mode: e.mode.clone().or(cur.mode),
            exposure_time: e.exposure_time,
            gain: e.gain,
        });
    }
    if let Some(w) = &req.white_balance {
        if w.color_temperature.is_some() {
            return Err(ApiError::invalid(
                "white_balance.color_temperature: ONVIF cameras take cr_gain/cb_gain, not a colour temperature",
            ));
        }
        check_mode("white_balance.mode", &w.mode, &o.white_balance.modes)?;
        for (n, v) in [("cr_gain", w.cr_gain), ("cb_gain", w.cb_gain)] {
            check(
                &format!("white_balance.{n}"),
                v,
                Some(Range {
                    min: 0.0,
                    max: f32::MAX,
                }),
            )?;
        }
        let cur = current.white_balance.clone().unwrap_or_default();
        out.white_balance = Some(WhiteBalance {
            mode: w.mode.clone().or(cur.mode),
            ..w.clone()
        });
    }
    for (name, mode) in [
        ("exposure", out.exposure.as_ref().map(|e| &e.mode)),
        ("white_balance", out.white_balance.as_ref().map(|w| &w.mode)),
    ] {
        if let Some(None) = mode {
            return Err(ApiError::invalid(format!(
                "{name}.mode is needed (the camera does not report its current one)"
            )));
        }
    }
    Ok(out)
}

/// The SetImagingSettings body, elements in ImagingSettings20's order.
pub fn set_body(video_source: &str, s: &Settings) -> String {
    let mut x = String::new();
    let _ = write!(
        x,
        "<timg:SetImagingSettings><timg:VideoSourceToken>{}</timg:VideoSourceToken><timg:ImagingSettings>",
        xml_escape(video_source)
    );
    let num = |tag: &str, v: Option<f32>, x: &mut String| {
        if let Some(v) = v {
            let _ = write!(x, "<tt:{tag}>{v}</tt:{tag}>");
        }
    };
    num("Brightness", s.brightness, &mut x);
    num("ColorSaturation", s.saturation, &mut x);
    num("Contrast", s.contrast, &mut x);
    if let Some(e) = &s.exposure {
        let mode = e.mode.as_deref().unwrap_or("auto").to_ascii_uppercase();
        let _ = write!(x, "<tt:Exposure><tt:Mode>{}</tt:Mode>", xml_escape(&mode));
        num("ExposureTime", e.exposure_time, &mut x);
        num("Gain", e.gain, &mut x);
        x.push_str("</tt:Exposure>");
    }
    num("Sharpness", s.sharpness, &mut x);
    if let Some(w) = &s.white_balance {
        let mode = w.mode.as_deref().unwrap_or("auto").to_ascii_uppercase();
        let _ = write!(
            x,
            "<tt:WhiteBalance><tt:Mode>{}</tt:Mode>",
            xml_escape(&mode)
        );
        num("CrGain", w.cr_gain, &mut x);
        num("CbGain", w.cb_gain, &mut x);
        x.push_str("</tt:WhiteBalance>");
    }
    x.push_str("</timg:ImagingSettings><timg:ForcePersistence>true</timg:ForcePersistence></timg:SetImagingSettings>");
    x
}

/// The imaging address and video source of the camera's profile; 501 without imaging.
pub async fn target(dev: &Device, wanted_profile: &str) -> ApiResult<(String, String)> {
    let none = |why: &str| {
        ApiError::new(
            ErrorCode::NotImplemented,
            format!("the camera at {} has no imaging service{why}", dev.url),
        )
    };
    let url = dev.imaging_url.clone().ok_or_else(|| none(""))?;
    let profile = dev.profile(wanted_profile).await?;
    let source = profile
        .video_source_token
        .ok_or_else(|| none(" for its profile's video source"))?;
    Ok((url, source))
}

pub async fn get(dev: &Device, url: &str, source: &str) -> ApiResult<Settings> {
    let s = dev
        .client()
        .get_imaging_settings(url, source)
        .await
        .map_err(dev.fail("GetImagingSettings"))?;
    Ok(Settings::from(&s))
}

pub async fn options(dev: &Device, url: &str, source: &str) -> ApiResult<Options> {
    let o = dev
        .client()
        .get_imaging_options(url, source)
        .await
        .map_err(dev.fail("imaging GetOptions"))?;
    Ok(o.into())
}

pub async fn set(dev: &Device, url: &str, source: &str, req: &Settings) -> ApiResult<()> {
    let opts = options(dev, url, source).await?;
    let current = get(dev, url, source).await?;
    let merged = merge(req, &current, &opts)?;
    dev.call(
        url,
        &format!("{IMAGING}/SetImagingSettings"),
        &set_body(source, &merged),
        "SetImagingSettingsResponse",
    )
    .await
    .map_err(dev.fail("SetImagingSettings"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        let r = |min, max| Some(Range { min, max });
        Options {
            brightness: r(0.0, 100.0),
            contrast: r(0.0, 100.0),
            saturation: r(0.0, 100.0),
            sharpness: None,
            exposure: ExposureOptions {
                modes: vec!["auto".into(), "manual".into()],
                exposure_time: r(10.0, 40000.0),
                gain: r(0.0, 100.0),
            },
            white_balance: WhiteBalanceOptions {
                modes: vec!["auto".into()],
            },
        }
    }

    #[test]
    fn a_set_is_checked_and_merged() {
        let current = Settings {
            exposure: Some(Exposure {
                mode: Some("manual".into()),
                exposure_time: Some(100.0),
                gain: None,
            }),
            ..Default::default()
        };
        let req: Settings =
            serde_json::from_str(r#"{"brightness":60,"exposure":{"exposure_time":200}}"#).unwrap();
        let out = merge(&req, &current, &opts()).unwrap();
        assert_eq!(
            out.exposure.as_ref().unwrap().mode.as_deref(),
            Some("manual")
        );
        let body = set_body("vs0", &out);
        let order = [
            "<tt:Brightness>60",
            "<tt:Exposure><tt:Mode>MANUAL",
            "<tt:ExposureTime>200",
        ];
        let at: Vec<usize> = order.iter().map(|s| body.find(s).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{body}");
        for bad in [
            r#"{"brightness":101}"#,
            r#"{"exposure":{"mode":"shutter"}}"#,
            r#"{"exposure":{"gain":-1}}"#,
            r#"{"white_balance":{"color_temperature":4500}}"#,
            r#"{"white_balance":{"mode":"manual"}}"#,
            r#"{}"#,
        ] {
            let req: Settings = serde_json::from_str(bad).unwrap();
            assert!(merge(&req, &current, &opts()).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Settings>(r#"{"hue":3}"#).is_err());
    }
}
