//! The Xiaomi cloud's request crypto, as the independent clients (micloud, python-miio)
//! implement it: the account password hash, the request nonce, the signed nonce, the plain
//! HMAC-SHA256 signature, and the RC4 call form (RC4 keyed with the signed nonce, the first
//! 1024 keystream bytes dropped; SHA-1 signatures over the encrypted form). The golden vectors
//! in tests/fixtures/xiaomi_vectors.json, produced by micloud itself, pin every function.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use md5::Md5;
use rc4::{KeyInit, Rc4, StreamCipher, consts::U32};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Keystream bytes RC4 discards before use (the "RC4-drop1024" the cloud speaks).
const RC4_DROP_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CryptoError {
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    #[error("the signed nonce is not a 32-byte key")]
    KeySize,
    #[error("the decrypted reply is not UTF-8")]
    Utf8,
}

/// `hash` of serviceLoginAuth2: the upper-case hex MD5 of the password.
pub fn password_hash(password: &str) -> String {
    hex::encode_upper(Md5::digest(password.as_bytes()))
}

/// A request nonce: base64 of 8 random bytes and the big-endian minute count since the epoch.
pub fn nonce(random: [u8; 8], unix_ms: u64) -> String {
    let mut raw = [0u8; 12];
    raw[..8].copy_from_slice(&random);
    raw[8..].copy_from_slice(&((unix_ms / 60_000) as u32).to_be_bytes());
    B64.encode(raw)
}

/// base64(SHA-256(b64d(ssecurity) ‖ b64d(nonce))).
pub fn signed_nonce(ssecurity: &str, nonce: &str) -> Result<String, CryptoError> {
    let mut h = Sha256::new();
    h.update(
        B64.decode(ssecurity)
            .map_err(|_| CryptoError::Base64("ssecurity"))?,
    );
    h.update(
        B64.decode(nonce)
            .map_err(|_| CryptoError::Base64("nonce"))?,
    );
    Ok(B64.encode(h.finalize()))
}

fn key_of(signed_nonce: &str) -> Result<Vec<u8>, CryptoError> {
    B64.decode(signed_nonce)
        .map_err(|_| CryptoError::Base64("signed nonce"))
}

/// The plain call's signature: base64(HMAC-SHA256(b64d(signed_nonce),
/// "PATH&signed_nonce&nonce&k=v…")), PATH without the `/app` prefix.
pub fn plain_signature(
    path: &str,
    signed_nonce: &str,
    nonce: &str,
    params: &[(&str, &str)],
) -> Result<String, CryptoError> {
    let mut parts = vec![
        path.to_string(),
        signed_nonce.to_string(),
        nonce.to_string(),
    ];
    parts.extend(params.iter().map(|(k, v)| format!("{k}={v}")));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key_of(signed_nonce)?)
        .expect("HMAC takes keys of any size");
    mac.update(parts.join("&").as_bytes());
    Ok(B64.encode(mac.finalize().into_bytes()))
}

/// RC4-drop1024 keyed with the signed nonce; encryption and decryption are the same.
pub fn rc4(signed_nonce: &str, data: &mut [u8]) -> Result<(), CryptoError> {
    let key = key_of(signed_nonce)?;
    let mut cipher = Rc4::<U32>::new_from_slice(&key).map_err(|_| CryptoError::KeySize)?;
    let mut drop = [0u8; RC4_DROP_BYTES];
    cipher.apply_keystream(&mut drop);
    cipher.apply_keystream(data);
    Ok(())
}

/// base64 of the RC4 encryption of `plain`.
pub fn encrypt(signed_nonce: &str, plain: &str) -> Result<String, CryptoError> {
    let mut buf = plain.as_bytes().to_vec();
    rc4(signed_nonce, &mut buf)?;
    Ok(B64.encode(buf))
}

/// An RC4 reply body: base64, then RC4, then UTF-8 text (JSON).
pub fn decrypt(signed_nonce: &str, body: &str) -> Result<String, CryptoError> {
    let mut buf = B64
        .decode(body.trim())
        .map_err(|_| CryptoError::Base64("the reply"))?;
    rc4(signed_nonce, &mut buf)?;
    String::from_utf8(buf).map_err(|_| CryptoError::Utf8)
}

/// base64(SHA-1("METHOD&PATH&k=v…&signed_nonce")).
pub fn enc_signature(
    method: &str,
    path: &str,
    params: &[(String, String)],
    signed_nonce: &str,
) -> String {
    let mut parts = vec![method.to_ascii_uppercase(), path.to_string()];
    parts.extend(params.iter().map(|(k, v)| format!("{k}={v}")));
    parts.push(signed_nonce.to_string());
    B64.encode(Sha1::digest(parts.join("&").as_bytes()))
}

/// The RC4 call's form, in the order the clients send it: each parameter and `rc4_hash__`
/// encrypted, then `signature`, `ssecurity` and `_nonce`.
pub fn enc_params(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    signed_nonce: &str,
    nonce: &str,
    ssecurity: &str,
) -> Result<Vec<(String, String)>, CryptoError> {
    let mut form: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let rc4_hash = enc_signature(method, path, &form, signed_nonce);
    form.push(("rc4_hash__".into(), rc4_hash));
    for (_, v) in form.iter_mut() {
        *v = encrypt(signed_nonce, v)?;
    }
    let signature = enc_signature(method, path, &form, signed_nonce);
    form.push(("signature".into(), signature));
    form.push(("ssecurity".into(), ssecurity.to_string()));
    form.push(("_nonce".into(), nonce.to_string()));
    Ok(form)
}

#[cfg(test)]
mod tests;
