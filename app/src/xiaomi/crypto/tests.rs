//! The crypto against golden vectors that micloud (the independent Python client) produced:
//! tests/fixtures/xiaomi_vectors.json, made by tests/fixtures/xiaomi_vectors.py.

use super::*;
use serde_json::Value;

fn file() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/xiaomi_vectors.json"))
        .expect("vectors JSON")
}

/// Every vector set (plain ASCII; a long paged reply past the 1024 dropped bytes; Unicode data).
fn sets() -> Vec<Value> {
    let sets = file()["sets"].as_array().expect("sets").clone();
    assert!(sets.len() >= 3, "the fixture has its three sets");
    sets
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string"))
}

/// The API path the clients sign: the URL's path without `/app` (the fixture states it too).
fn api_path(v: &Value) -> String {
    let url = url::Url::parse(s(v, &["inputs", "url"])).unwrap();
    let path = url.path().strip_prefix("/app").unwrap().to_string();
    assert_eq!(path, s(v, &["inputs", "path"]));
    path
}

#[test]
fn password_hash_and_signed_nonce_match_micloud() {
    for v in sets() {
        let signed = signed_nonce(s(&v, &["inputs", "ssecurity"]), s(&v, &["inputs", "nonce"]));
        assert_eq!(signed.unwrap(), s(&v, &["signed_nonce"]));
        assert_eq!(
            password_hash(s(&v, &["inputs", "password"])),
            s(&v, &["password_hash_md5_upper"])
        );
    }
    assert_eq!(
        password_hash("p@ssw0rd"),
        "0F359740BD1CDA994F8B55330C86D845"
    );
    assert_eq!(
        signed_nonce("AAECAwQFBgcICQoLDA0ODw==", "AQIDBAUGBwgBuoFA").unwrap(),
        "OvTYd+kPHbQ1ydSQk+BfzPRIb6HFRVhbboouPVPgNro="
    );
    assert_eq!(
        signed_nonce("!!", "AQID"),
        Err(CryptoError::Base64("ssecurity"))
    );
}

#[test]
fn nonce_layout_is_random_bytes_then_minutes() {
    // micloud's gen_nonce with its random source fixed: it writes getrandbits(64) - 2^63 as a
    // signed big-endian i64 (the top bit flipped), then the minute count.
    for g in file()["gen_nonce"].as_array().unwrap() {
        let bits = g["getrandbits_64"].as_u64().unwrap();
        let ms = g["unix_ms"].as_u64().unwrap();
        assert_eq!(
            nonce((bits ^ (1 << 63)).to_be_bytes(), ms),
            g["nonce"].as_str().unwrap()
        );
    }
}

#[test]
fn plain_signature_matches_micloud() {
    for v in sets() {
        let path = api_path(&v);
        let sig = plain_signature(
            &path,
            s(&v, &["signed_nonce"]),
            s(&v, &["inputs", "nonce"]),
            &[("data", s(&v, &["inputs", "data"]))],
        )
        .unwrap();
        assert_eq!(sig, s(&v, &["plain", "signature"]));
    }
}

#[test]
fn rc4_form_matches_micloud_byte_for_byte() {
    for v in sets() {
        let path = api_path(&v);
        let signed = s(&v, &["signed_nonce"]);
        let data = s(&v, &["inputs", "data"]);
        let rc4_hash = enc_signature("POST", &path, &[("data".into(), data.into())], signed);
        assert_eq!(rc4_hash, s(&v, &["rc4", "rc4_hash__"]));
        let form = enc_params(
            "POST",
            &path,
            &[("data", data)],
            signed,
            s(&v, &["inputs", "nonce"]),
            s(&v, &["inputs", "ssecurity"]),
        )
        .unwrap();
        let expected = v["rc4"]["form"].as_object().unwrap();
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["data", "rc4_hash__", "signature", "ssecurity", "_nonce"]
        );
        assert_eq!(form.len(), expected.len());
        for (k, val) in &form {
            assert_eq!(Some(val.as_str()), expected[k].as_str(), "{k}");
        }
    }
}

#[test]
fn rc4_reply_decrypts_and_round_trips() {
    for v in sets() {
        let signed = s(&v, &["signed_nonce"]);
        let plain = s(&v, &["rc4", "response_plain"]);
        assert_eq!(
            encrypt(signed, plain).unwrap(),
            s(&v, &["rc4", "response_body"])
        );
        assert_eq!(
            decrypt(signed, s(&v, &["rc4", "response_body"])).unwrap(),
            plain
        );
    }
    assert_eq!(
        decrypt(
            "OvTYd+kPHbQ1ydSQk+BfzPRIb6HFRVhbboouPVPgNro=",
            "not base64!"
        ),
        Err(CryptoError::Base64("the reply"))
    );
    assert_eq!(decrypt("AAAA", "AAAA"), Err(CryptoError::KeySize));
}
