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
    /// Sign-ins that failed or are still being checked.
    failures: u32,
}

impl Window {
    fn is_over(&self, now: OffsetDateTime) -> bool {
        self.started + WINDOW <= now
    }
}

/// The failure counts of one Herald process.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    windows: Mutex<HashMap<ThrottleKey, Window>>,
}

impl SignInThrottle {
    /// Admits one sign-in attempt and counts it as a failure until [`Self::succeeded`] says
    /// otherwise: counting before the password is checked means parallel guesses cannot slip
    /// past the limit while the slow hash runs. `Err(wait)` when any of `keys` used up its
    /// failures; `wait` is how long until it may try.
    pub fn admit(&self, keys: &[ThrottleKey], now: OffsetDateTime) -> Result<(), Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = keys
            .iter()
            .filter_map(|key| {
                let window = windows.get(key)?;
                (window.failures >= key.limit() && !window.is_over(now))
                    .then(|| window.started + WINDOW - now)
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| !window.is_over(now));
        }
        for key in keys {
            let window = windows.entry(key.clone()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if window.is_over(now) {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures += 1;
        }
        Ok(())
    }

    /// Takes back an admitted attempt that succeeded: the account's failures are forgotten,
    /// the address keeps its earlier ones.
    pub fn succeeded(&self, keys: &[ThrottleKey]) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            match key {
                ThrottleKey::Account(_) => {
                    windows.remove(key);
                }
                ThrottleKey::Address(_) => {
                    if let Some(window) = windows.get_mut(key) {
                        window.failures = window.failures.saturating_sub(1);
                    }
                }
            }
        }
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
            assert_eq!(throttle.admit(&keys, START), Ok(()));
        }
        assert_eq!(throttle.admit(&keys, START), Err(WINDOW));
        let later = START + Duration::minutes(10);
        assert_eq!(throttle.admit(&keys, later), Err(Duration::minutes(5)));
        assert_eq!(throttle.admit(&keys, START + WINDOW), Ok(()));
    }

    #[test]
    fn a_success_forgets_the_account_but_not_the_address_failures() {
        let throttle = SignInThrottle::default();
        let account = ThrottleKey::Account("ada@example.com".into());
        let address = ThrottleKey::Address("192.0.2.7".parse().expect("ip"));
        let keys = [account.clone(), address.clone()];
        for _ in 0..ACCOUNT_LIMIT - 1 {
            throttle.admit(&keys, START).expect("admitted");
        }
        throttle.admit(&keys, START).expect("admitted");
        throttle.succeeded(&keys);
        for _ in 0..ACCOUNT_LIMIT {
            throttle
                .admit(std::slice::from_ref(&account), START)
                .expect("admitted");
        }
        assert!(throttle.admit(&[account], START).is_err());
        for _ in ACCOUNT_LIMIT - 1..ADDRESS_LIMIT {
            throttle
                .admit(std::slice::from_ref(&address), START)
                .expect("admitted");
        }
        assert!(throttle.admit(&[address], START).is_err());
    }

    #[test]
    fn addresses_allow_more_failures_and_accounts_are_independent() {
        let throttle = SignInThrottle::default();
        let address = ThrottleKey::Address("192.0.2.7".parse().expect("ip"));
        for n in 0..ADDRESS_LIMIT {
            let account = ThrottleKey::Account(format!("user{n}@example.com"));
            throttle
                .admit(&[account, address.clone()], START)
                .expect("admitted");
        }
        assert!(throttle.admit(&[address], START).is_err());
        let fresh = ThrottleKey::Account("user0@example.com".into());
        assert_eq!(throttle.admit(&[fresh], START), Ok(()));
    }
}
