//! Per-tenant request budgets of the REST API (SPEC §4.1): reads and writes per minute, counted
//! in fixed one-minute windows by each Herald process. Beyond the budget: 429 with
//! `Retry-After` until the window ends.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use app::error::AppError;
use time::{Duration, OffsetDateTime};

const WINDOW: Duration = Duration::minutes(1);

/// Requests per tenant and minute.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub reads_per_minute: u32,
    pub writes_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            reads_per_minute: 1000,
            writes_per_minute: 100,
        }
    }
}

/// Whether a request reads or changes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
}

/// The budgets used so far in the current windows.
#[derive(Debug, Default)]
pub struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<HashMap<(String, Access), (OffsetDateTime, u32)>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: Mutex::default(),
        }
    }

    /// Counts one request of `tenant`, or refuses it when the window's budget is spent.
    pub fn admit(&self, tenant: &str, access: Access, now: OffsetDateTime) -> Result<(), AppError> {
        let limits = self.limits;
        let budget = match access {
            Access::Read => limits.reads_per_minute,
            Access::Write => limits.writes_per_minute,
        };
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > 10_000 {
            windows.retain(|_, (started, _)| *started + WINDOW > now);
        }
        let (started, used) = windows
            .entry((tenant.to_owned(), access))
            .or_insert((now, 0));
        if *started + WINDOW <= now {
            *started = now;
            *used = 0;
        }
        if *used >= budget {
            let wait = (*started + WINDOW - now).whole_seconds().max(1);
            return Err(AppError::TooManyRequests {
                message: format!(
                    "This tenant made more than {budget} API {} this minute. Try again in {wait} s.",
                    match access {
                        Access::Read => "reads",
                        Access::Write => "writes",
                    }
                ),
                retry_after_secs: u64::try_from(wait).unwrap_or(1),
            });
        }
        *used += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn each_tenant_has_its_own_budget_per_kind_and_minute() {
        let limiter = RateLimiter::new(RateLimits {
            reads_per_minute: 3,
            writes_per_minute: 1,
        });
        let start = datetime!(2026-11-01 09:00 UTC);
        for _ in 0..3 {
            limiter
                .admit("a", Access::Read, start)
                .expect("within budget");
        }
        let refused = limiter
            .admit("a", Access::Read, start + Duration::seconds(20))
            .expect_err("over budget");
        assert!(matches!(
            refused,
            AppError::TooManyRequests {
                retry_after_secs: 40,
                ..
            }
        ));
        limiter
            .admit("b", Access::Read, start)
            .expect("another tenant");
        limiter
            .admit("a", Access::Write, start)
            .expect("writes count apart");
        assert!(limiter.admit("a", Access::Write, start).is_err());
        limiter
            .admit("a", Access::Read, start + WINDOW)
            .expect("a new minute");
    }
}
