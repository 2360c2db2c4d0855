//! Time as Herald sees it.
//!
//! Everything that depends on "now" (session expiry, retry schedules, retention) asks a
//! [`Clock`] instead of the operating system, so tests move time forward instead of sleeping.

use std::sync::{Arc, Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The clock shared by every part of one running Herald.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock: what the binary uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to: what tests use.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Puts the clock at `instant`.
    pub fn set(&self, instant: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = instant;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
        clock.advance(Duration::hours(12));
        assert_eq!(clock.now(), datetime!(2026-01-01 12:00 UTC));
        clock.set(datetime!(2030-06-01 08:30 UTC));
        assert_eq!(clock.now(), datetime!(2030-06-01 08:30 UTC));
    }
}
