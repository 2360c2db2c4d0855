//! Throttling of failed sign-ins, per account and per client address (SPEC §4.3).
//!
//! Each key may fail a fixed number of times within a window; after that, sign-ins for it are
//! refused without checking the password until the window ends. Counts live in memory: one
//! node's limits are enough to make guessing a 12-character password hopeless, and nothing is
//! written to the database on every bad attempt.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Mutex, PoisonError},
};

use time::{Duration, OffsetDateTime};

/// Failures allowed per account within [`WINDOW`].
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failures allowed per client address within [`WINDOW`] (several people may share one).
pub const ADDRESS_LIMIT: u32 = 20;
pub const WINDOW: Duration = Duration::minutes(15);
/// Above this many tracked keys, expired ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// What a failure is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    Account(String),
    Address(IpAddr),
}

impl ThrottleKey {
    fn limit(&self) -> u32 {
        match self {
            ThrottleKey::Account(_) => ACCOUNT_LIMIT,
            ThrottleKey::Address(_) => ADDRESS_LIMIT,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: OffsetDateTime,
    failures: u32,
}

/// The failure counts of one Herald process.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    windows: Mutex<HashMap<ThrottleKey, Window>>,
}

impl SignInThrottle {
    /// `Err(wait)` when any of `keys` used up its failures; `wait` is how long until it may try.
    pub fn check(&self, keys: &[ThrottleKey], now: OffsetDateTime) -> Result<(), Duration> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = keys
            .iter()
            .filter_map(|key| {
                let window = windows.get(key)?;
                let ends = window.started + WINDOW;
                (window.failures >= key.limit() && ends > now).then_some(ends - now)
            })
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Counts one failed sign-in against every key.
    pub fn record_failure(&self, keys: &[ThrottleKey], now: OffsetDateTime) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| window.started + WINDOW > now);
        }
        for key in keys {
            let window = windows.entry(key.clone()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if window.started + WINDOW <= now {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures += 1;
        }
    }

    /// Forgets an account's failures after it signs in.
    pub fn clear(&self, key: &ThrottleKey) {
        self.windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const START: OffsetDateTime = datetime!(2026-11-01 09:00 UTC);

    #[test]
    fn an_account_is_refused_after_five_failures_until_the_window_ends() {
        let throttle = SignInThrottle::default();
        let keys = [ThrottleKey::Account("ada@example.com".into())];
        for _ in 0..ACCOUNT_LIMIT {
            assert_eq!(throttle.check(&keys, START), Ok(()));
            throttle.record_failure(&keys, START);
        }
        assert_eq!(throttle.check(&keys, START), Err(WINDOW));
        let later = START + Duration::minutes(10);
        assert_eq!(throttle.check(&keys, later), Err(Duration::minutes(5)));
        assert_eq!(throttle.check(&keys, START + WINDOW), Ok(()));
    }

    #[test]
    fn addresses_allow_more_failures_and_accounts_are_independent() {
        let throttle = SignInThrottle::default();
        let address = ThrottleKey::Address("192.0.2.7".parse().expect("ip"));
        for n in 0..ADDRESS_LIMIT {
            let account = ThrottleKey::Account(format!("user{n}@example.com"));
            throttle.record_failure(&[account, address.clone()], START);
        }
        assert!(throttle.check(&[address], START).is_err());
        let fresh = ThrottleKey::Account("user0@example.com".into());
        assert_eq!(throttle.check(std::slice::from_ref(&fresh), START), Ok(()));
        throttle.clear(&fresh);
        assert_eq!(throttle.check(&[fresh], START), Ok(()));
    }
}
