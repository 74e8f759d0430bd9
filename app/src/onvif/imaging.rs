//! Imaging: settings (get, set) and their options, on the video source of the camera's
//! profile. Values are in the device's own units; `options` gives the ranges and a set is
//! checked against them (and its modes) before anything is sent. A set also takes the
//! reference's units (`reference_units`: fractions of a range, exposure in seconds, white
//! balance in kelvin) and converts them. A set merges into the current settings, so an
//! exposure time without a mode keeps the device's mode.
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
    /// Kelvin (2000-10000), accepted in a set and converted to `cr_gain`/`cb_gain` (ONVIF
    /// has no colour temperature); always absent in a get.
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
    /// The camera's CrGain / CbGain ranges (ONVIF's YrGain / YbGain), when it gives them.
    pub cr_gain: Option<Range>,
    pub cb_gain: Option<Range>,
    /// Kelvin a set takes and converts to gains (the reference's unit), when the camera has
    /// manual white balance.
    pub color_temperature: Option<Range>,
}

/// The colour temperatures a set converts to white-balance gains.
const KELVIN: Range = Range {
    min: 2000.0,
    max: 10000.0,
};

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
                color_temperature: o
                    .white_balance_modes
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case("manual"))
                    .then_some(KELVIN),
                modes: lower(&o.white_balance_modes),
                cr_gain: None,
                cb_gain: None,
            },
        }
    }
}

/// A unitless white-balance gain in the camera's units: on a range, 1 is its middle (how
/// cameras with 0-255 gains put neutral at 128); without one, as it is.
fn gain_in(g: f32, r: Option<Range>) -> f32 {
    match r {
        Some(r) => milli((g * (r.min + r.max) / 2.0).clamp(r.min, r.max)),
        None => g,
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

/// Rounded to 0.001, so a converted value reads as it was meant (60, not 60.000004).
fn milli(v: f32) -> f32 {
    (v * 1000.0).round() / 1000.0
}

/// A value of the reference's 0..1 scale on a camera whose range is wider: a number strictly
/// between 0 and 1 is a fraction of the camera's range (0.6 on 0..100 is 60). Whole numbers
/// are the camera's own units.
fn from_fraction(v: Option<f32>, r: Option<Range>) -> Option<f32> {
    match (v, r) {
        (Some(v), Some(r)) if v > 0.0 && v < 1.0 && r.max - r.min > 1.0 => {
            Some(milli(r.min + v * (r.max - r.min)))
        }
        _ => v,
    }
}

/// The white-balance gains (red, blue; unitless, green = 1) that make light of `kelvin`
/// neutral: the inverse of the light's colour, by Tanner Helland's fit of the blackbody
/// colours (accurate to a few percent over 2000-10000 K).
pub fn wb_gains_for_kelvin(kelvin: f32) -> (f32, f32) {
    let t = kelvin / 100.0;
    let red = if t <= 66.0 {
        255.0
    } else {
        329.698_73 * (t - 60.0).powf(-0.133_204_76)
    };
    let green = if t <= 66.0 {
        99.470_8 * t.ln() - 161.119_57
    } else {
        288.122_17 * (t - 60.0).powf(-0.075_514_85)
    };
    let blue = if t >= 66.0 {
        255.0
    } else {
        138.517_73 * (t - 10.0).ln() - 305.044_8
    };
    let c = |x: f32| x.clamp(1.0, 255.0);
    (milli(c(green) / c(red)), milli(c(green) / c(blue)))
}

/// The reference's units, converted to the camera's (docs/api.md, "Imaging units"): 0..1
/// fractions of a range, `exposure_time` in seconds (ONVIF's is microseconds: a value
/// below 1 that the camera's range does not hold is seconds), and `color_temperature` in
/// kelvin (manual white balance with the gains for that light).
pub fn reference_units(req: &Settings, o: &Options) -> ApiResult<Settings> {
    let mut out = req.clone();
    out.brightness = from_fraction(req.brightness, o.brightness);
    out.contrast = from_fraction(req.contrast, o.contrast);
    out.saturation = from_fraction(req.saturation, o.saturation);
    out.sharpness = from_fraction(req.sharpness, o.sharpness);
    if let Some(e) = out.exposure.as_mut() {
        let range = o.exposure.exposure_time;
        if let Some(t) = e.exposure_time
            && t > 0.0
            && t < 1.0
            && range.is_none_or(|r| t < r.min || t > r.max)
        {
            e.exposure_time = Some((t * 1e6).round());
        }
        e.gain = from_fraction(e.gain, o.exposure.gain);
    }
    if let Some(w) = out.white_balance.as_mut()
        && let Some(k) = w.color_temperature.take()
    {
        if w.cr_gain.is_some() || w.cb_gain.is_some() {
            return Err(ApiError::invalid(
                "white_balance: give color_temperature or cr_gain/cb_gain, not both",
            ));
        }
        if !(KELVIN.min..=KELVIN.max).contains(&k) {
            return Err(ApiError::invalid(format!(
                "white_balance.color_temperature {k} is outside {}..{} K",
                KELVIN.min, KELVIN.max
            )));
        }
        let (cr, cb) = wb_gains_for_kelvin(k);
        w.cr_gain = Some(gain_in(cr, o.white_balance.cr_gain));
        w.cb_gain = Some(gain_in(cb, o.white_balance.cb_gain));
        w.mode.get_or_insert_with(|| "manual".into());
    }
    Ok(out)
}

/// Checks a PUT body against the options; returns the settings to send (the request, in the
/// camera's units, merged into `current`).
pub fn merge(req: &Settings, current: &Settings, o: &Options) -> ApiResult<Settings> {
    let req = &reference_units(req, o)?;
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
        check_mode("white_balance.mode", &w.mode, &o.white_balance.modes)?;
        let any = Range {
            min: 0.0,
            max: f32::MAX,
        };
        for (n, v, r) in [
            ("cr_gain", w.cr_gain, o.white_balance.cr_gain),
            ("cb_gain", w.cb_gain, o.white_balance.cb_gain),
        ] {
            check(&format!("white_balance.{n}"), v, Some(r.unwrap_or(any)))?;
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

/// The camera's options as oxvif reads them, without the white-balance gain ranges.
async fn base_options(dev: &Device, url: &str, source: &str) -> ApiResult<Options> {
    let o = dev
        .client()
        .get_imaging_options(url, source)
        .await
        .map_err(dev.fail("imaging GetOptions"))?;
    Ok(o.into())
}

/// The white-balance gain ranges (ONVIF's YrGain / YbGain), which oxvif leaves out: read
/// from a GetOptions of our own, so only where they matter (options shown, a white-balance
/// set checked or converted).
async fn add_gain_ranges(dev: &Device, url: &str, source: &str, out: &mut Options) {
    let body = format!(
        "<timg:GetOptions><timg:VideoSourceToken>{}</timg:VideoSourceToken></timg:GetOptions>",
        xml_escape(source)
    );
    let Ok(reply) = dev
        .call(
            url,
            &format!("{IMAGING}/GetOptions"),
            &body,
            "GetOptionsResponse",
        )
        .await
    else {
        return;
    };
    let wb = reply.path(&["ImagingOptions", "WhiteBalance"]);
    let range = |tag: &str| {
        let n = wb?.child(tag)?;
        let num = |t: &str| n.child(t)?.text().trim().parse::<f32>().ok();
        Some(Range {
            min: num("Min")?,
            max: num("Max")?,
        })
        .filter(|r| r.min.is_finite() && r.max.is_finite() && r.min < r.max)
    };
    out.white_balance.cr_gain = range("YrGain");
    out.white_balance.cb_gain = range("YbGain");
}

pub async fn options(dev: &Device, url: &str, source: &str) -> ApiResult<Options> {
    let mut out = base_options(dev, url, source).await?;
    add_gain_ranges(dev, url, source, &mut out).await;
    Ok(out)
}

pub async fn set(dev: &Device, url: &str, source: &str, req: &Settings) -> ApiResult<()> {
    let mut opts = base_options(dev, url, source).await?;
    if req.white_balance.is_some() {
        add_gain_ranges(dev, url, source, &mut opts).await;
    }
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
                cr_gain: None,
                cb_gain: None,
                color_temperature: None,
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
            r#"{"white_balance":{"color_temperature":4500}}"#, // no manual mode here
            r#"{"exposure":{"exposure_time":0.5}}"#,           // 500000 µs: out of range
            r#"{"white_balance":{"mode":"manual"}}"#,
            r#"{}"#,
        ] {
            let req: Settings = serde_json::from_str(bad).unwrap();
            assert!(merge(&req, &current, &opts()).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Settings>(r#"{"hue":3}"#).is_err());
    }

    #[test]
    fn the_reference_example_converts_to_the_camera_units() {
        let mut o = opts();
        o.white_balance.modes = vec!["auto".into(), "manual".into()];
        o.white_balance.color_temperature = Some(KELVIN);
        let current = Settings::default();
        let req: Settings = serde_json::from_str(
            r#"{"brightness":0.6,"contrast":0.8,"saturation":0.7,"sharpness":0.9,
                "exposure":{"mode":"manual","exposure_time":0.02,"gain":1.2},
                "white_balance":{"mode":"manual","color_temperature":4500}}"#,
        )
        .unwrap();
        let out = merge(&req, &current, &o).unwrap();
        assert_eq!(out.brightness, Some(60.0));
        assert_eq!(out.contrast, Some(80.0));
        assert_eq!(out.saturation, Some(70.0));
        assert_eq!(out.sharpness, Some(0.9), "no range given: as sent");
        let e = out.exposure.as_ref().unwrap();
        assert_eq!(e.exposure_time, Some(20_000.0), "{e:?}");
        assert_eq!(e.gain, Some(1.2), "above 1: the camera's own units");
        let w = out.white_balance.as_ref().unwrap();
        assert_eq!(w.color_temperature, None);
        let (cr, cb) = (w.cr_gain.unwrap(), w.cb_gain.unwrap());
        assert!(
            cr < 1.0 && cb > 1.0,
            "warm light: less red, more blue ({cr}, {cb})"
        );
        // A camera with 0-255 gains: neutral is the middle.
        o.white_balance.cr_gain = Some(Range {
            min: 0.0,
            max: 255.0,
        });
        o.white_balance.cb_gain = Some(Range {
            min: 0.0,
            max: 255.0,
        });
        let out2 = merge(&req, &current, &o).unwrap();
        let w2 = out2.white_balance.as_ref().unwrap();
        assert_eq!(w2.cr_gain, Some(milli(cr * 127.5)));
        assert!(w2.cb_gain.unwrap() > 127.5 && w2.cb_gain.unwrap() <= 255.0);
        let body = set_body("vs0", &out);
        assert!(
            body.contains("<tt:WhiteBalance><tt:Mode>MANUAL</tt:Mode><tt:CrGain>"),
            "{body}"
        );
        // Native values pass unchanged; whole numbers are native.
        let req: Settings = serde_json::from_str(
            r#"{"brightness":1,"exposure":{"mode":"manual","exposure_time":200}}"#,
        )
        .unwrap();
        let out = merge(&req, &current, &o).unwrap();
        assert_eq!(out.brightness, Some(1.0));
        assert_eq!(out.exposure.unwrap().exposure_time, Some(200.0));
        // Daylight is near neutral; candlelight-warm and overcast-cool go opposite ways.
        let (cr, cb) = wb_gains_for_kelvin(6600.0);
        assert!(
            (cr - 1.0).abs() < 0.05 && (cb - 1.0).abs() < 0.05,
            "{cr} {cb}"
        );
        let (cr3, cb3) = wb_gains_for_kelvin(3000.0);
        let (cr9, cb9) = wb_gains_for_kelvin(9000.0);
        assert!(cr3 < cr9 && cb3 > cb9);
        for bad in [
            r#"{"white_balance":{"mode":"manual","color_temperature":1500}}"#,
            r#"{"white_balance":{"color_temperature":4500,"cr_gain":1}}"#,
        ] {
            let req: Settings = serde_json::from_str(bad).unwrap();
            assert!(merge(&req, &current, &o).is_err(), "{bad}");
        }
    }
}
