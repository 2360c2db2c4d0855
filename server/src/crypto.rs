//! Encryption of secrets at rest (SPEC §7): webhook secrets and encrypted header values are
//! stored as AES-256-GCM ciphertexts under the master key.
//!
//! A stored value reads `v1:<key id>:<base64 of nonce and ciphertext>`. The key id (the first
//! bytes of the key's SHA-256) says which key sealed it, so the master key can rotate: the first
//! configured key seals, every configured key opens. Each value is sealed with its context
//! (e.g. `webhook/<id>/secret`) as associated data, so a ciphertext copied to another row or
//! field does not open there.

use std::{
    fmt,
    io::Write,
    path::{Path, PathBuf},
};

use aes_gcm::{
    aead::{Aead, Payload},
    Aes256Gcm, Key, KeyInit, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use sha2::{Digest, Sha256};

const FORMAT: &str = "v1";
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// Why the master key could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the master key must be {KEY_BYTES} bytes in base64 (e.g. from `openssl rand -base64 32`): {0}")]
    Malformed(String),
    #[error("cannot read the master key file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot create the master key file {path}: {reason}")]
    Create { path: PathBuf, reason: String },
    #[error(
        "PostgreSQL needs a master key shared by every node: set HERALD_MASTER_KEY or \
         --master-key-file"
    )]
    Missing,
    /// A malformed key, with the setting or file it came from.
    #[error("{origin}: {source}")]
    From {
        origin: String,
        #[source]
        source: Box<KeyError>,
    },
}

impl KeyError {
    /// Names where a malformed key came from; other errors already say.
    pub fn from_origin(self, origin: impl FnOnce() -> String) -> Self {
        match self {
            KeyError::Malformed(_) => KeyError::From {
                origin: origin(),
                source: Box::new(self),
            },
            other => other,
        }
    }
}

/// A stored value that cannot be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("the stored value is not in Herald's encrypted format")]
    Malformed,
    #[error("the value was encrypted with master key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the value does not decrypt with its master key (altered or moved)")]
    Forged,
}

struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The configured master keys: the first seals, all open.
pub struct Keyring {
    keys: Vec<MasterKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// Keys from text: base64 keys separated by commas, the sealing key first.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let keys = text
            .split(',')
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(|encoded| {
                let bytes = STANDARD
                    .decode(encoded)
                    .map_err(|error| KeyError::Malformed(error.to_string()))?;
                if bytes.len() != KEY_BYTES {
                    return Err(KeyError::Malformed(format!("{} bytes given", bytes.len())));
                }
                Ok(MasterKey {
                    id: hex_prefix(&Sha256::digest(&bytes)),
                    cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(KeyError::Malformed("no key given".into()));
        }
        Ok(Self { keys })
    }

    /// Keys from a file holding the same text as [`Self::parse`] takes.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|error| KeyError::Read {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
        Self::parse(&text)
    }

    /// The key file at `path`, created with a new random key (readable by its owner only) when
    /// it does not exist yet: SQLite installs need no set-up.
    pub fn read_or_create(path: &Path) -> Result<Self, KeyError> {
        if path.exists() {
            return Self::read(path);
        }
        let create_error = |reason: String| KeyError::Create {
            path: path.to_owned(),
            reason,
        };
        let mut key = [0u8; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|error| create_error(error.to_string()))?;
        let encoded = STANDARD.encode(key);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|error| create_error(error.to_string()))?;
        file.write_all(format!("{encoded}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|error| create_error(error.to_string()))?;
        tracing::info!(path = %path.display(), "created the master key file: back it up with the database");
        Self::parse(&encoded)
    }

    /// Seals `plaintext` for `context` with the first key.
    pub fn seal(&self, context: &str, plaintext: &str) -> crate::error::Result<String> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|error| {
            crate::error::Error::Internal(format!("no randomness available: {error}"))
        })?;
        let sealed = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| crate::error::Error::Internal("encryption failed".into()))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(format!("{FORMAT}:{}:{}", key.id, STANDARD.encode(stored)))
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, context: &str, stored: &str) -> Result<String, OpenError> {
        let mut parts = stored.splitn(3, ':');
        let (Some(FORMAT), Some(key_id), Some(encoded)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::Malformed);
        };
        let key = self
            .keys
            .iter()
            .find(|key| key.id == key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        let bytes = STANDARD.decode(encoded).map_err(|_| OpenError::Malformed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(OpenError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Forged)?;
        String::from_utf8(plain).map_err(|_| OpenError::Forged)
    }
}

fn hex_prefix(digest: &[u8]) -> String {
    digest[..4]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        STANDARD.encode([byte; KEY_BYTES])
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_context() {
        let ring = Keyring::parse(&key(1)).expect("key");
        let stored = ring.seal("webhook/a/secret", "s3cret value").expect("seal");
        assert!(!stored.contains("s3cret"), "{stored}");
        assert!(stored.starts_with("v1:"), "{stored}");
        assert_ne!(
            stored,
            ring.seal("webhook/a/secret", "s3cret value").expect("seal"),
            "a fresh nonce each time"
        );
        assert_eq!(
            ring.open("webhook/a/secret", &stored).as_deref(),
            Ok("s3cret value")
        );
        assert_eq!(
            ring.open("webhook/b/secret", &stored),
            Err(OpenError::Forged)
        );
        let mut altered = stored.clone();
        altered.pop();
        altered.push(if stored.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open("webhook/a/secret", &altered).is_err());
        assert_eq!(
            ring.open("webhook/a/secret", "plain"),
            Err(OpenError::Malformed)
        );
    }

    #[test]
    fn keys_rotate_by_listing_the_new_one_first() {
        let old = Keyring::parse(&key(1)).expect("old");
        let stored = old.seal("c", "value").expect("seal");
        let rotated = Keyring::parse(&format!("{},{}", key(2), key(1))).expect("both");
        assert_eq!(rotated.open("c", &stored).as_deref(), Ok("value"));
        let resealed = rotated.seal("c", "value").expect("seal");
        let new_only = Keyring::parse(&key(2)).expect("new");
        assert_eq!(new_only.open("c", &resealed).as_deref(), Ok("value"));
        assert!(matches!(
            new_only.open("c", &stored),
            Err(OpenError::UnknownKey(_))
        ));
    }

    #[test]
    fn malformed_keys_are_refused_and_never_printed() {
        assert!(Keyring::parse("not base64!").is_err());
        assert!(Keyring::parse(&STANDARD.encode([0u8; 16])).is_err());
        assert!(Keyring::parse(" , ").is_err());
        let ring = Keyring::parse(&key(7)).expect("key");
        assert!(!format!("{ring:?}").contains(&key(7)));
    }

    #[test]
    fn a_key_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("herald.db.key");
        let first = Keyring::read_or_create(&path).expect("created");
        let stored = first.seal("c", "value").expect("seal");
        let again = Keyring::read_or_create(&path).expect("read");
        assert_eq!(again.open("c", &stored).as_deref(), Ok("value"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
