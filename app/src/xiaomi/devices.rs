//! The signed Xiaomi API (RC4 call form) and the device list: the API base for a region, one
//! RC4 call with the session's cookies, and the paged `/v2/home/device_list_page` read into
//! `CloudDevice`s, of which camera models are the ones the NVR syncs.

use super::crypto;
use super::http::{CloudError, CloudResult, Http};
use super::store::XiaomiSession;
use serde::Deserialize;
use serde_json::Value;

/// Pages read at most (300 devices each).
const MAX_PAGES: usize = 20;
const PAGE_LIMIT: u32 = 300;

/// The API base for a region: `{region}.` becomes `<region>.`, or goes away for `cn`.
pub fn api_base(template: &str, region: &str) -> String {
    if region == "cn" {
        template.replace("{region}.", "").replace("{region}", "")
    } else {
        template.replace("{region}", region)
    }
}

/// One device of the account, as the cloud lists it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CloudDevice {
    #[serde(deserialize_with = "string_or_number")]
    pub did: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub model: String,
    #[serde(default, rename = "isOnline")]
    pub online: bool,
    #[serde(default)]
    pub localip: String,
    #[serde(default)]
    pub mac: String,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("did is {other}"))),
    }
}

impl CloudDevice {
    /// Camera models are `<vendor>.camera.<name>` (chuangmi, isa, mijia, xiaomi, …).
    pub fn is_camera(&self) -> bool {
        self.model.split('.').nth(1) == Some("camera")
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One RC4 API call: `path` is the API path without `/app` (`/v2/home/device_list_page`);
/// answers the reply's `result`.
pub async fn call(
    http: &Http,
    base: &str,
    s: &XiaomiSession,
    path: &str,
    data: &str,
) -> CloudResult<Value> {
    let nonce = crypto::nonce(rand::random(), now_ms());
    let bad_key = |e: crypto::CryptoError| CloudError::Malformed(format!("session key: {e}"));
    let signed = crypto::signed_nonce(&s.ssecurity, &nonce).map_err(bad_key)?;
    let form = crypto::enc_params(
        "POST",
        path,
        &[("data", data)],
        &signed,
        &nonce,
        &s.ssecurity,
    )
    .map_err(bad_key)?;
    let cookies = [
        ("userId", s.user_id.as_str()),
        ("serviceToken", s.service_token.as_str()),
        ("yetAnotherServiceToken", s.service_token.as_str()),
        ("locale", "en_GB"),
        ("timezone", "GMT+00:00"),
        ("is_daylight", "0"),
        ("dst_offset", "0"),
        ("channel", "MI_APP_STORE"),
    ];
    let headers = [
        ("x-xiaomi-protocal-flag-cli", "PROTOCAL-HTTP2"),
        ("MIOT-ENCRYPT-ALGORITHM", "ENCRYPT-RC4"),
        ("Accept-Encoding", "identity"),
    ];
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let reply = http.post_form(&url, &cookies, &form, &headers).await?;
    let text = reply.text()?.trim().to_string();
    // Errors about the session come back in clear (and often with 401/403).
    let json: Value = match serde_json::from_str::<Value>(&text) {
        Ok(v) if v.is_object() => v,
        _ if !(200..300).contains(&reply.status) => {
            return Err(CloudError::Malformed(format!(
                "the API answered HTTP {}",
                reply.status
            )));
        }
        _ => {
            let plain = crypto::decrypt(&signed, &text).map_err(|e| {
                CloudError::Malformed(format!("the API reply does not decrypt: {e}"))
            })?;
            serde_json::from_str(&plain)
                .map_err(|_| CloudError::Malformed("the decrypted API reply is not JSON".into()))?
        }
    };
    match json.get("code").and_then(Value::as_i64) {
        Some(0) => Ok(json.get("result").cloned().unwrap_or(Value::Null)),
        Some(3) => Err(CloudError::Expired),
        Some(code) => Err(CloudError::Api {
            code,
            message: json
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
        }),
        None => Err(CloudError::Malformed("the API reply has no code".into())),
    }
}

/// Every device of the account, page by page.
pub async fn device_list(
    http: &Http,
    base: &str,
    s: &XiaomiSession,
) -> CloudResult<Vec<CloudDevice>> {
    let mut out: Vec<CloudDevice> = Vec::new();
    let mut start_did = String::new();
    for _ in 0..MAX_PAGES {
        let mut data = serde_json::json!({
            "getVirtualModel": true,
            "getHuamiDevices": 1,
            "get_split_device": false,
            "support_smart_home": true,
            "limit": PAGE_LIMIT,
        });
        if !start_did.is_empty() {
            data["start_did"] = Value::String(start_did.clone());
        }
        let result = call(
            http,
            base,
            s,
            "/v2/home/device_list_page",
            &data.to_string(),
        )
        .await?;
        let list = result
            .get("list")
            .and_then(Value::as_array)
            .ok_or_else(|| CloudError::Malformed("the device list has no list".into()))?;
        for item in list {
            let d: CloudDevice = serde_json::from_value(item.clone())
                .map_err(|e| CloudError::Malformed(format!("a device entry: {e}")))?;
            if !out.iter().any(|o| o.did == d.did) {
                out.push(d);
            }
        }
        let more = result
            .get("has_more")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let next = result
            .get("max_did")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !more || next.is_empty() || next == start_did {
            return Ok(out);
        }
        start_did = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_bases() {
        let t = "https://{region}.api.io.mi.com/app";
        assert_eq!(api_base(t, "cn"), "https://api.io.mi.com/app");
        assert_eq!(api_base(t, "de"), "https://de.api.io.mi.com/app");
        assert_eq!(
            api_base("http://127.0.0.1:1/app", "sg"),
            "http://127.0.0.1:1/app"
        );
    }

    #[test]
    fn devices_parse_and_cameras_are_recognised() {
        let d: CloudDevice = serde_json::from_value(serde_json::json!({
            "did": 100000001, "name": "Door", "model": "chuangmi.camera.ipc019",
            "isOnline": true, "token": "secret", "localip": "127.0.0.9"
        }))
        .unwrap();
        assert_eq!(d.did, "100000001");
        assert!(d.is_camera() && d.online);
        let plug: CloudDevice =
            serde_json::from_value(serde_json::json!({"did": "7", "model": "chuangmi.plug.m1"}))
                .unwrap();
        assert!(!plug.is_camera() && !plug.online);
        assert!(serde_json::from_value::<CloudDevice>(serde_json::json!({"did": [1]})).is_err());
    }
}
