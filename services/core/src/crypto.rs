//! Protection of ID numbers and phones at rest: AES-256-GCM for the values,
//! a keyed hash (HMAC-SHA256) to find them, both from one data key. The
//! database alone reveals neither.
//!
//! The key comes from `JOBMATCH_DATA_KEY` (64 hex characters); the embedded
//! default makes `<data dir>/data.key` (mode 0600) on first start. A check
//! value in the store refuses a start with the wrong key instead of writing
//! data nobody can read.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Encrypts, decrypts and hashes personal values.
#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(***)")
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

fn hex_key(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(out)
}

impl Vault {
    pub fn from_master(master: &[u8; 32]) -> Vault {
        let enc = derive(master, "jobmatch/v1/encrypt");
        Vault {
            cipher: Aes256Gcm::new_from_slice(&enc).expect("32-byte key"),
            index_key: derive(master, "jobmatch/v1/index"),
        }
    }

    /// From a configured hex key, or the key file in `data_dir` (made if missing).
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vault> {
        if let Some(k) = configured {
            let key =
                hex_key(k).ok_or_else(|| anyhow::anyhow!("invalid setting `data_key`: expected 64 hex characters"))?;
            return Ok(Vault::from_master(&key));
        }
        let path = data_dir.join("data.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let key =
                hex_key(&text).ok_or_else(|| anyhow::anyhow!("{} does not hold 64 hex characters", path.display()))?;
            return Ok(Vault::from_master(&key));
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&path, &hex)?;
        tracing::warn!(path = %path.display(), "generated a new data key: back it up, the ID numbers and phones cannot be read without it");
        Ok(Vault::from_master(&key))
    }

    /// `v1:` and base64 of nonce and ciphertext.
    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self.cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).expect("AES-GCM encryption");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        format!("v1:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(blob))
    }

    pub fn decrypt(&self, stored: &str) -> anyhow::Result<String> {
        let b64 = stored.strip_prefix("v1:").ok_or_else(|| anyhow::anyhow!("unknown cipher text version"))?;
        let blob = base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64)?;
        if blob.len() < 13 {
            anyhow::bail!("cipher text too short");
        }
        let (nonce, ct) = blob.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| anyhow::anyhow!("cannot decrypt: wrong data key or damaged value"))?;
        Ok(String::from_utf8(plain)?)
    }

    /// The keyed hash a value is found by; `kind` keeps kinds apart.
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.index_key).expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_never_appear_in_the_cipher_text() {
        let v = Vault::from_master(&[7u8; 32]);
        let c1 = v.encrypt("330402196805121241");
        let c2 = v.encrypt("330402196805121241");
        assert_ne!(c1, c2, "a fresh nonce each time");
        assert!(!c1.contains("3304021968"));
        assert_eq!(v.decrypt(&c1).unwrap(), "330402196805121241");
        let other = Vault::from_master(&[8u8; 32]);
        assert!(other.decrypt(&c1).is_err());
    }

    #[test]
    fn blind_indexes_are_stable_keyed_and_kind_separated() {
        let v = Vault::from_master(&[7u8; 32]);
        assert_eq!(v.blind_index("id", "x"), v.blind_index("id", "x"));
        assert_ne!(v.blind_index("id", "x"), v.blind_index("phone", "x"));
        assert_ne!(v.blind_index("id", "x"), Vault::from_master(&[8u8; 32]).blind_index("id", "x"));
    }

    #[test]
    fn a_key_file_is_made_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("jm-vault-{}", uuid::Uuid::new_v4().simple()));
        let a = Vault::load(None, &dir).unwrap();
        let b = Vault::load(None, &dir).unwrap();
        assert_eq!(b.decrypt(&a.encrypt("hi")).unwrap(), "hi");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("data.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(Vault::load(Some("zz"), &dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
