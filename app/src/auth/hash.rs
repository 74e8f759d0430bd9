//! Password hashes: argon2id for everything we create, bcrypt verified so that a config
//! imported from the original MiBee NVR keeps working.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

/// Hashes with argon2id (default parameters: 19 MiB, 2 passes) into a PHC string.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    if password.is_empty() {
        anyhow::bail!("the password must not be empty");
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

fn is_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$", "$2x$"]
        .iter()
        .any(|p| hash.starts_with(p))
}

/// True when `password` matches `hash`. Slow by design: call from a blocking thread.
pub fn verify_password(password: &str, hash: &str) -> bool {
    if hash.starts_with("$argon2") {
        match PasswordHash::new(hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    } else if is_bcrypt(hash) {
        bcrypt::verify(password, hash).unwrap_or(false)
    } else {
        false
    }
}

/// Accepts an empty hash (auth off), an argon2 PHC string or a bcrypt hash.
pub fn check_hash_format(hash: &str) -> Result<(), String> {
    if hash.is_empty() {
        return Ok(());
    }
    if hash.starts_with("$argon2") {
        return PasswordHash::new(hash)
            .map(|_| ())
            .map_err(|e| format!("bad argon2 hash: {e}"));
    }
    if is_bcrypt(hash) {
        return hash
            .parse::<bcrypt::HashParts>()
            .map(|_| ())
            .map_err(|e| format!("bad bcrypt hash: {e}"));
    }
    Err("must be an argon2id PHC string ($argon2id$...) or a bcrypt hash ($2b$...)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_roundtrip() {
        let h = hash_password("s3cret-pass").unwrap();
        assert!(h.starts_with("$argon2id$"));
        check_hash_format(&h).unwrap();
        assert!(verify_password("s3cret-pass", &h));
        assert!(!verify_password("wrong", &h));
    }

    #[test]
    fn bcrypt_from_the_original_is_accepted() {
        let h = bcrypt::hash("legacy-pw", 4).unwrap();
        check_hash_format(&h).unwrap();
        assert!(verify_password("legacy-pw", &h));
        assert!(!verify_password("legacy-px", &h));
    }

    #[test]
    fn garbage_hashes_are_rejected() {
        for bad in ["plaintext", "$argon2id$garbage", "$2b$99$short"] {
            assert!(check_hash_format(bad).is_err(), "{bad}");
            assert!(!verify_password("x", bad));
        }
        assert!(hash_password("").is_err());
    }
}
