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
        let mut value = match axum::Json::<UniqueKeys>::from_request(req, state).await {
            Ok(axum::Json(UniqueKeys(v))) => v,
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

/// A JSON value whose objects have no duplicate keys: `{"name":"x","name":"y"}` is refused
/// (serde_json alone keeps the last, so a client's mistake would pass silently).
struct UniqueKeys(serde_json::Value);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(v)) = a.next_element()? {
            items.push(v);
        }
        Ok(items.into())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut map = serde_json::Map::new();
        while let Some(key) = a.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
            }
            let UniqueKeys(v) = a.next_value()?;
            map.insert(key, v);
        }
        Ok(map.into())
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
    fn duplicate_keys_are_refused_at_any_depth() {
        let parse = |t: &str| serde_json::from_str::<UniqueKeys>(t).map(|u| u.0);
        let e = parse(r#"{"name":"x","name":"y"}"#).unwrap_err();
        assert!(e.to_string().contains("duplicate key `name`"), "{e}");
        assert!(parse(r#"{"a":[{"b":1,"b":2}]}"#).is_err());
        assert!(parse(r#"{"a":{"b":{"c":1,"c":1}}}"#).is_err());
        let v = parse(r#"{"a":[1,-2,3.5,"s",null,true,{"b":{}}],"c":{"d":18446744073709551615}}"#)
            .unwrap();
        assert_eq!(
            v,
            json!({"a":[1,-2,3.5,"s",null,true,{"b":{}}],"c":{"d":18446744073709551615u64}})
        );
    }

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
        #[serde(default, deserialize_with = "crate::config::object_or_null")]
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
