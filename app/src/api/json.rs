//! Request extractors that turn every malformed body, path or query into `INVALID_INPUT`
//! (never axum's plain-text 4xx, never a 500), and the small shared response bodies.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// Like `axum::Json`, with rejections mapped to `INVALID_INPUT`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let mut value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(rej) => return Err(ApiError::invalid(tidy(&rej.body_text()))),
        };
        if !value.is_object() {
            return Err(ApiError::invalid("the request body must be a JSON object"));
        }
        normalize_integers(&mut value);
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(ApiError::invalid)
    }
}

/// JSON Schema counts `3.0` as an integer; so do we: whole floats become integers.
fn normalize_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n
                .as_f64()
                .filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15)
            {
                *v = if f < 0.0 {
                    Value::from(f as i64)
                } else {
                    Value::from(f as u64)
                };
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_integers),
        Value::Object(map) => map.values_mut().for_each(normalize_integers),
        _ => {}
    }
}

/// `deserialize_with` for nested sections of a request body: only a JSON object (or null,
/// meaning absent) is accepted. Without it serde would also take an array as a struct.
pub fn object_or_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::Deserialize;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        v @ serde_json::Value::Object(_) => serde_json::from_value(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "expected an object, got {other}"
        ))),
    }
}

/// Drops axum's generic preamble so the message starts with what was wrong.
fn tidy(text: &str) -> String {
    const PREFIXES: [&str; 3] = [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
        "Failed to deserialize query string: ",
    ];
    let t = PREFIXES
        .iter()
        .fold(text, |t, p| t.strip_prefix(p).unwrap_or(t));
    t.to_string()
}

/// Like `axum::extract::Path`, with rejections mapped to `INVALID_INPUT`.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(rej) => Err(ApiError::invalid(rej.body_text())),
        }
    }
}

/// `{"status": "..."}`, the answer of most write endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    pub status: String,
}

impl StatusBody {
    pub fn new(s: &str) -> axum::Json<Self> {
        axum::Json(Self { status: s.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers() {
        let mut v = json!({"a": 3.0, "b": [1.5, -2.0], "c": {"d": 7}});
        normalize_integers(&mut v);
        assert_eq!(v, json!({"a": 3, "b": [1.5, -2], "c": {"d": 7}}));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        x: Option<u32>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(default, deserialize_with = "object_or_null")]
        inner: Option<Inner>,
    }

    #[test]
    fn nested_sections_must_be_objects() {
        assert!(serde_json::from_value::<Outer>(json!({"inner": [null]})).is_err());
        assert!(
            serde_json::from_value::<Outer>(json!({"inner": {"x": 1}}))
                .unwrap()
                .inner
                .is_some()
        );
        assert!(
            serde_json::from_value::<Outer>(json!({"inner": null}))
                .unwrap()
                .inner
                .is_none()
        );
        assert!(
            serde_json::from_value::<Outer>(json!({}))
                .unwrap()
                .inner
                .is_none()
        );
    }
}
