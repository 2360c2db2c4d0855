//! Password hashing with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, 1 lane, the
//! OWASP recommendation). Hashing runs on the blocking pool so it never stalls request handling,
//! and at most one hash per core runs at a time: a burst of sign-ins waits its turn instead of
//! taking every core and 19 MiB per request.

use std::sync::OnceLock;

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Runs one Argon2 computation on the blocking pool once a core is free for it.
async fn run_limited<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static CORES: OnceLock<Semaphore> = OnceLock::new();
    let cores = CORES.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(1, |cores| cores.get()))
    });
    let _permit = cores
        .acquire()
        .await
        .map_err(|error| Error::Internal(format!("password hashing closed: {error}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| Error::Internal(format!("password hashing stopped: {error}")))
}

/// A PHC string (`$argon2id$v=19$…`) for `password`.
pub async fn hash(password: String) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|error| Error::Internal(format!("no randomness available: {error}")))?;
    run_limited(move || hash_now(&password, &salt)).await?
}

fn hash_now(password: &str, salt: &[u8]) -> Result<String> {
    let salt = SaltString::encode_b64(salt)
        .map_err(|error| Error::Internal(format!("password salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::Internal(format!("password hashing failed: {error}")))
}

/// Whether `password` matches `stored`. With no stored hash (unknown account), a dummy hash is
/// verified anyway so that the answer takes as long either way and does not reveal which
/// e-mail addresses have accounts.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    let known = stored.is_some();
    let stored = match stored {
        Some(stored) => stored,
        None => dummy_hash()?.to_owned(),
    };
    let matches = run_limited(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .map_err(|error| Error::Internal(format!("stored password hash unreadable: {error}")))
    })
    .await??;
    Ok(known && matches)
}

/// A hash of a random password, computed once per process.
fn dummy_hash() -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|error| Error::Internal(format!("no randomness available: {error}")))?;
    let hash = hash_now(&STANDARD_NO_PAD.encode(random), &random[..16])?;
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery".into()).await.expect("hash");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery".into(), Some(stored.clone()))
            .await
            .expect("verify"));
        assert!(!verify("wrong horse battery".into(), Some(stored))
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("anything at all".into(), None)
            .await
            .expect("verify"));
    }
}
