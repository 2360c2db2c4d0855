//! Random tokens and their digests: session cookies, one-time links and API keys.
//!
//! Every token carries 256 random bits from the operating system, so a plain SHA-256 digest is
//! enough to store it (a slow hash protects guessable secrets, not random ones).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Bytes of randomness in every token.
const TOKEN_BYTES: usize = 32;
/// Bytes of randomness in an API key's public lookup prefix.
const PREFIX_BYTES: usize = 6;
/// How every API key starts, so secret scanners and people recognise one.
const API_KEY_MARK: &str = "herald_";

/// `count` bytes from the operating system's random source.
fn random_bytes(count: usize) -> Result<Vec<u8>> {
    let mut bytes = vec![0; count];
    getrandom::fill(&mut bytes)
        .map_err(|error| Error::Internal(format!("no randomness available: {error}")))?;
    Ok(bytes)
}

/// A new URL-safe token of 256 random bits (43 characters).
pub fn new_token() -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes(TOKEN_BYTES)?))
}

/// Random bytes in a generated webhook signing secret: 36 bytes are 48 URL-safe characters,
/// inside the 32..64 characters a secret may have.
const WEBHOOK_SECRET_BYTES: usize = 36;

/// A new webhook signing secret of 288 random bits, offered by the console's Generate button.
pub fn new_webhook_secret() -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes(WEBHOOK_SECRET_BYTES)?))
}

/// The stored form of a token: lower-case hex SHA-256.
pub fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares two digests without revealing, through timing, where they differ.
pub fn digests_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A newly generated API key: `herald_<prefix>_<secret>`.
pub struct NewApiKey {
    pub prefix: String,
    pub key: String,
}

impl NewApiKey {
    pub fn generate() -> Result<Self> {
        let prefix: String = random_bytes(PREFIX_BYTES)?
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let key = format!("{API_KEY_MARK}{prefix}_{}", new_token()?);
        Ok(Self { prefix, key })
    }
}

/// The lookup prefix of a presented API key, when it has the right shape.
pub fn api_key_prefix(key: &str) -> Option<&str> {
    let (prefix, secret) = key.strip_prefix(API_KEY_MARK)?.split_once('_')?;
    let well_formed = prefix.len() == PREFIX_BYTES * 2
        && prefix.bytes().all(|byte| byte.is_ascii_hexdigit())
        && !secret.is_empty();
    well_formed.then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_webhook_secrets_pass_the_secret_rule() {
        let a = new_webhook_secret().expect("secret");
        let b = new_webhook_secret().expect("secret");
        assert_eq!(a.len(), 48);
        assert_ne!(a, b);
        assert_eq!(
            app::validation::webhook::secret(Some(&a)),
            Ok(Some(a.clone()))
        );
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(digests_match(&digest("abc"), &digest("abc")));
        assert!(!digests_match(&digest("abc"), &digest("abd")));
    }

    #[test]
    fn api_keys_carry_a_recognisable_prefix() {
        let key = NewApiKey::generate().expect("key");
        assert!(key.key.starts_with("herald_"));
        assert_eq!(api_key_prefix(&key.key), Some(key.prefix.as_str()));
        assert_eq!(key.key.len(), "herald_".len() + 12 + 1 + 43);
        for malformed in [
            "",
            "herald_",
            "herald_zzzzzzzzzzzz_x",
            "herald_0123456789ab_",
            "sk_0123456789ab_x",
        ] {
            assert_eq!(api_key_prefix(malformed), None, "{malformed}");
        }
    }
}
