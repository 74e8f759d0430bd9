//! Signed firmware updates. A bundle is a tar of `manifest.json`, `manifest.sig` (an ed25519
//! signature of the manifest's exact bytes) and the images the manifest names with their
//! size and sha256 (`rootfs` required, `bootfs` optional). Verification checks the signature
//! against the image's public key (`/etc/nvr/update.pub`, hex) and the board
//! (`/etc/nvr/board`) before anything else, then unpacks the images to a staging dir on the
//! data partition and checks each hash; only a bundle that passes all of it is installed,
//! into the inactive slot (`nvr-bootctl install`), which the next boot tries once and the
//! health check commits (or the bootloader rolls back). A refused bundle touches nothing.

use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// `GET /api/system/update`: the last or current update.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct UpdateStatus {
    /// `idle`, `receiving`, `verifying`, `installing`, `installed` (reboot to activate),
    /// or `failed`.
    pub state: String,
    pub bytes_received: u64,
    /// From Content-Length; null when the client did not send it.
    pub bytes_total: Option<u64>,
    /// 0-100 over the whole update (upload, verification, installation).
    pub progress_percent: u8,
    /// The firmware version being installed (from the signed manifest).
    pub version: Option<String>,
    /// Why it failed, or what the installer said.
    pub message: String,
}

pub const FORMAT: &str = "mibee-nvr-update";
const MANIFEST: &str = "manifest.json";
const SIGNATURE: &str = "manifest.sig";
const MAX_MANIFEST_BYTES: u64 = 64 << 10;
/// Largest image accepted (a root filesystem slot is far smaller).
const MAX_IMAGE_BYTES: u64 = 2 << 30;

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The bundle is refused: unsigned, tampered, for another board, malformed.
    #[error("update refused: {0}")]
    Refused(String),
    #[error("update: {0}")]
    Io(#[from] std::io::Error),
    /// Installing into the inactive slot failed.
    #[error("update install failed: {0}")]
    Install(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImageEntry {
    pub file: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    /// The firmware version the bundle installs.
    pub version: String,
    /// The board it is built for (`/etc/nvr/board` must match).
    pub board: String,
    /// `rootfs` (required) and `bootfs` (optional).
    pub images: BTreeMap<String, ImageEntry>,
}

/// A verified bundle, its images unpacked in `dir`.
#[derive(Debug)]
pub struct Verified {
    pub manifest: Manifest,
    pub rootfs: PathBuf,
    pub bootfs: Option<PathBuf>,
}

fn refused(m: impl Into<String>) -> UpdateError {
    UpdateError::Refused(m.into())
}

pub fn parse_public_key(hex_text: &str) -> Result<VerifyingKey, UpdateError> {
    let bytes: [u8; 32] = hex::decode(hex_text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| refused("the image's update key is not 32 hex-encoded bytes"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| refused(format!("update key: {e}")))
}

/// Checks `bundle` (signature, board, image hashes) and unpacks its images into `dir`.
/// On any refusal `dir` is left empty.
pub fn verify(
    bundle: &Path,
    key: &VerifyingKey,
    board: &str,
    dir: &Path,
) -> Result<Verified, UpdateError> {
    let r = verify_inner(bundle, key, board, dir);
    if r.is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    r
}

fn verify_inner(
    bundle: &Path,
    key: &VerifyingKey,
    board: &str,
    dir: &Path,
) -> Result<Verified, UpdateError> {
    let mut tar = tar::Archive::new(std::fs::File::open(bundle)?);
    let mut entries = tar
        .entries()
        .map_err(|e| refused(format!("not an update bundle: {e}")))?;
    let mut small = |want: &str| -> Result<Vec<u8>, UpdateError> {
        let mut e = entries
            .next()
            .ok_or_else(|| refused(format!("not an update bundle: no {want}")))?
            .map_err(|e| refused(format!("not an update bundle: {e}")))?;
        let name = e.path().map_err(|e| refused(e.to_string()))?;
        if name.to_str() != Some(want) || e.size() > MAX_MANIFEST_BYTES {
            return Err(refused(format!(
                "not an update bundle: expected {want} first"
            )));
        }
        let mut b = Vec::new();
        e.read_to_end(&mut b)
            .map_err(|e| refused(format!("{want}: {e}")))?;
        Ok(b)
    };
    let manifest_bytes = small(MANIFEST)?;
    let sig_bytes = small(SIGNATURE)?;
    let sig = Signature::from_slice(&sig_bytes)
        .map_err(|_| refused("the bundle's signature is malformed"))?;
    key.verify(&manifest_bytes, &sig)
        .map_err(|_| refused("the bundle is not signed with this device's update key"))?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| refused(format!("manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(refused(format!(
            "unknown bundle format {:?}",
            manifest.format
        )));
    }
    if manifest.board != board {
        return Err(refused(format!(
            "the bundle is for board {:?}, this is {board:?}",
            manifest.board
        )));
    }
    if !manifest.images.contains_key("rootfs")
        || manifest
            .images
            .keys()
            .any(|k| k != "rootfs" && k != "bootfs")
    {
        return Err(refused(
            "the manifest must name a rootfs image (and at most a bootfs)",
        ));
    }
    std::fs::create_dir_all(dir)?;
    let mut done: BTreeMap<String, PathBuf> = BTreeMap::new();
    for e in entries {
        let mut e = e.map_err(|e| refused(format!("bundle: {e}")))?;
        let name = e
            .path()
            .map_err(|e| refused(e.to_string()))?
            .to_string_lossy()
            .to_string();
        let (kind, img) = manifest
            .images
            .iter()
            .find(|(_, i)| i.file == name)
            .ok_or_else(|| refused(format!("unexpected file {name:?} in the bundle")))?;
        if done.contains_key(kind) || e.size() != img.size || img.size > MAX_IMAGE_BYTES {
            return Err(refused(format!("{name}: size differs from the manifest")));
        }
        let out_path = dir.join(format!("{kind}.img"));
        let mut out = std::fs::File::create(&out_path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = e
                .read(&mut buf)
                .map_err(|e| refused(format!("{name}: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
        out.sync_all()?;
        if hex::encode(hasher.finalize()) != img.sha256.to_ascii_lowercase() {
            return Err(refused(format!(
                "{name}: content does not match the signed manifest (tampered or corrupt)"
            )));
        }
        done.insert(kind.clone(), out_path);
    }
    if done.len() != manifest.images.len() {
        return Err(refused("the bundle lacks an image its manifest names"));
    }
    Ok(Verified {
        rootfs: done.remove("rootfs").expect("checked"),
        bootfs: done.remove("bootfs"),
        manifest,
    })
}

/// Installs a verified bundle into the inactive slot with the image's `nvr-bootctl`.
pub fn install(v: &Verified, bootctl: &Path) -> Result<String, UpdateError> {
    let mut cmd = std::process::Command::new(bootctl);
    cmd.arg("install").arg(&v.rootfs);
    if let Some(b) = &v.bootfs {
        cmd.arg(b);
    }
    let out = cmd
        .output()
        .map_err(|e| UpdateError::Install(format!("{}: {e}", bootctl.display())))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() {
        return Err(UpdateError::Install(format!(
            "{text} {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(text.lines().last().unwrap_or("").to_string())
}

/// Builds a signed bundle (the `mibee-nvr update-bundle` command, used by `make` and CI).
pub fn build_bundle(
    key: &SigningKey,
    version: &str,
    board: &str,
    images: &[(&str, &Path)],
    out: &Path,
) -> Result<(), UpdateError> {
    let mut manifest = Manifest {
        format: FORMAT.into(),
        version: version.into(),
        board: board.into(),
        images: BTreeMap::new(),
    };
    for (kind, path) in images {
        let mut f = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let size = std::io::copy(&mut f, &mut hasher)?;
        manifest.images.insert(
            kind.to_string(),
            ImageEntry {
                file: format!("{kind}.img"),
                size,
                sha256: hex::encode(hasher.finalize()),
            },
        );
    }
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("manifest");
    let sig = ed25519_dalek::Signer::sign(key, &manifest_bytes);
    let mut tar = tar::Builder::new(std::fs::File::create(out)?);
    let mut add = |name: &str, len: u64, data: &mut dyn Read| -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(len);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, data)
    };
    add(
        MANIFEST,
        manifest_bytes.len() as u64,
        &mut manifest_bytes.as_slice(),
    )?;
    add(SIGNATURE, 64, &mut sig.to_bytes().as_slice())?;
    for (kind, path) in images {
        let mut f = std::fs::File::open(path)?;
        let len = f.metadata()?.len();
        add(&format!("{kind}.img"), len, &mut f)?;
    }
    tar.into_inner()?.sync_all()?;
    Ok(())
}

/// A new signing key (32 random bytes) and its public key, both hex.
pub fn generate_key() -> (String, String) {
    let seed: [u8; 32] = rand::random();
    let key = SigningKey::from_bytes(&seed);
    (
        hex::encode(seed),
        hex::encode(key.verifying_key().to_bytes()),
    )
}

pub fn parse_signing_key(hex_text: &str) -> Result<SigningKey, UpdateError> {
    let seed: [u8; 32] = hex::decode(hex_text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| refused("a signing key is 32 hex-encoded bytes"))?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key, a rootfs image and a bundle of it signed for `qemu-aarch64-virt` (0.2.0).
    fn setup() -> (tempfile::TempDir, SigningKey, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (k, _) = generate_key();
        let key = parse_signing_key(&k).unwrap();
        let rootfs = dir.path().join("rootfs.squashfs");
        std::fs::write(&rootfs, vec![7u8; 300_000]).unwrap();
        let b = dir.path().join("u.bundle");
        build_bundle(
            &key,
            "0.2.0",
            "qemu-aarch64-virt",
            &[("rootfs", &rootfs)],
            &b,
        )
        .unwrap();
        (dir, key, rootfs, b)
    }

    #[test]
    fn a_signed_bundle_verifies_and_unpacks() {
        let (dir, key, rootfs, b) = setup();
        let v = verify(
            &b,
            &key.verifying_key(),
            "qemu-aarch64-virt",
            &dir.path().join("s"),
        )
        .unwrap();
        assert_eq!(v.manifest.version, "0.2.0");
        assert_eq!(
            std::fs::read(&v.rootfs).unwrap(),
            std::fs::read(&rootfs).unwrap()
        );
        assert!(v.bootfs.is_none());
    }

    #[test]
    fn refusals_touch_nothing() {
        let (dir, key, _rootfs, b) = setup();
        let stage = dir.path().join("s");
        let pk = key.verifying_key();
        // Wrong board.
        let e = verify(&b, &pk, "raspberrypi4-64", &stage).unwrap_err();
        assert!(e.to_string().contains("board"), "{e}");
        assert!(!stage.exists());
        // Another key.
        let (other, _) = generate_key();
        let other = parse_signing_key(&other).unwrap().verifying_key();
        let e = verify(&b, &other, "qemu-aarch64-virt", &stage).unwrap_err();
        assert!(e.to_string().contains("not signed"), "{e}");
        // A tampered image byte (the last bytes of the tar are padding: flip inside the image).
        let mut bytes = std::fs::read(&b).unwrap();
        let at = bytes.len() - 2048 - 100;
        bytes[at] ^= 1;
        let t = dir.path().join("t.bundle");
        std::fs::write(&t, &bytes).unwrap();
        let e = verify(&t, &pk, "qemu-aarch64-virt", &stage).unwrap_err();
        assert!(e.to_string().contains("tampered"), "{e}");
        assert!(!stage.exists(), "the staged image is removed");
        // A tampered manifest.
        let mut bytes = std::fs::read(&b).unwrap();
        let pos = bytes.windows(5).position(|w| w == b"0.2.0").unwrap();
        bytes[pos] = b'9';
        std::fs::write(&t, &bytes).unwrap();
        assert!(verify(&t, &pk, "qemu-aarch64-virt", &stage).is_err());
        // Not a bundle at all.
        std::fs::write(&t, b"junk").unwrap();
        assert!(matches!(
            verify(&t, &pk, "qemu-aarch64-virt", &stage),
            Err(UpdateError::Refused(_))
        ));
    }
}
