//! The Xiaomi session kept across restarts, encrypted at rest: `<data dir>/xiaomi.session`
//! holds ChaCha20-Poly1305 ciphertext of the tokens under a random key in `xiaomi.key` (both
//! mode 0600, written crash-safely). Neither file is in backups, and the tokens never reach a
//! log: `XiaomiSession`'s Debug prints only the user id and region.

use crate::fsutil::write_atomic;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const KEY_FILE: &str = "xiaomi.key";
const SESSION_FILE: &str = "xiaomi.session";
/// Format version byte and associated data: a file of another layout is refused, not misread.
const FORMAT_V1: u8 = 1;
const AAD: &[u8] = b"mibee-nvr xiaomi session v1";

/// What a login yields and the API calls need.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct XiaomiSession {
    pub username: String,
    pub user_id: String,
    pub c_user_id: String,
    pub region: String,
    /// Long-lived: re-login without the password.
    pub pass_token: String,
    /// The API's cookie, and the key material its calls are signed with.
    pub service_token: String,
    pub ssecurity: String,
}

impl std::fmt::Debug for XiaomiSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XiaomiSession")
            .field("user_id", &self.user_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("xiaomi session store: {0}")]
    Io(#[from] std::io::Error),
    #[error("xiaomi session store: {0} (the saved session is ignored; sign in again)")]
    Corrupt(&'static str),
}

pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.to_path_buf(),
        }
    }

    fn key(&self, create: bool) -> Result<Option<ChaCha20Poly1305>, StoreError> {
        let path = self.dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(k) if k.len() == 32 => Ok(Some(
                ChaCha20Poly1305::new_from_slice(&k).expect("32-byte key"),
            )),
            Ok(_) => Err(StoreError::Corrupt("the key file is not 32 bytes")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let k: [u8; 32] = rand::random();
                write_atomic(&path, &k, 0o600)?;
                Ok(Some(
                    ChaCha20Poly1305::new_from_slice(&k).expect("32-byte key"),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn save(&self, s: &XiaomiSession) -> Result<(), StoreError> {
        let cipher = self.key(true)?.expect("created");
        let nonce: [u8; 12] = rand::random();
        let plain = serde_json::to_vec(s).expect("session serializes");
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: AAD,
                },
            )
            .expect("encryption of a small buffer");
        let mut out = Vec::with_capacity(1 + 12 + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        write_atomic(&self.dir.join(SESSION_FILE), &out, 0o600)?;
        Ok(())
    }

    /// The saved session; `Ok(None)` when there is none.
    pub fn load(&self) -> Result<Option<XiaomiSession>, StoreError> {
        let bytes = match std::fs::read(self.dir.join(SESSION_FILE)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if bytes.len() < 1 + 12 + 16 || bytes[0] != FORMAT_V1 {
            return Err(StoreError::Corrupt("unknown session file format"));
        }
        let Some(cipher) = self.key(false)? else {
            return Err(StoreError::Corrupt("the key file is missing"));
        };
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&bytes[1..13]),
                Payload {
                    msg: &bytes[13..],
                    aad: AAD,
                },
            )
            .map_err(|_| StoreError::Corrupt("the session file does not decrypt"))?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| StoreError::Corrupt("the session file's content is not a session"))
    }

    /// Forgets the session (sign-out); the key stays for the next one.
    pub fn clear(&self) -> Result<(), StoreError> {
        match std::fs::remove_file(self.dir.join(SESSION_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn session() -> XiaomiSession {
        XiaomiSession {
            username: "user@example.com".into(),
            user_id: "1234567890".into(),
            c_user_id: "cu".into(),
            region: "de".into(),
            pass_token: "PASS-TOKEN-SECRET".into(),
            service_token: "SERVICE-TOKEN-SECRET".into(),
            ssecurity: "AAECAwQFBgcICQoLDA0ODw==".into(),
        }
    }

    #[test]
    fn saved_encrypted_loaded_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        assert!(store.load().unwrap().is_none());
        store.save(&session()).unwrap();
        let raw = std::fs::read(dir.path().join(SESSION_FILE)).unwrap();
        for secret in ["PASS-TOKEN-SECRET", "SERVICE-TOKEN-SECRET", "1234567890"] {
            assert!(
                !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in clear"
            );
        }
        for f in [KEY_FILE, SESSION_FILE] {
            let mode = std::fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
        assert_eq!(store.load().unwrap(), Some(session()));
        let dbg = format!("{:?}", session());
        assert!(
            !dbg.contains("SECRET") && dbg.contains("1234567890"),
            "{dbg}"
        );
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none());
        store.clear().unwrap();
    }

    #[test]
    fn tampered_or_keyless_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        store.save(&session()).unwrap();
        let path = dir.path().join(SESSION_FILE);
        let mut raw = std::fs::read(&path).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        std::fs::write(&path, &raw).unwrap();
        assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
        store.save(&session()).unwrap();
        std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
        assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
        std::fs::write(&path, b"\x02junk").unwrap();
        assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
    }
}
