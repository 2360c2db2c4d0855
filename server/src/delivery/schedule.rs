//! What happens after an attempt: success, another try after a backoff (or
//! the endpoint's `Retry-After`), or the end of the delivery.

use std::time::Duration;

use super::send::Outcome;

/// The most a `Retry-After` may push an attempt out.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// ±20 % around each wait of the schedule.
pub const JITTER: f64 = 0.2;

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// 2xx: the delivery is done.
    Success { message: String },
    /// Another attempt after `wait`.
    Retry { wait: Duration, message: String },
    /// No more attempts: the delivery ends `fail`.
    Fail { message: String },
    /// 410 Gone: the delivery ends `fail` and the webhook is disabled.
    Gone { message: String },
}

/// The verdict on attempt number `number` (1-based) of at most `schedule.len() + 1`.
/// `jitter` is a number in [0, 1) that picks where in ±20 % the wait falls.
pub fn verdict(outcome: &Outcome, number: u32, schedule: &[Duration], jitter: f64) -> Verdict {
    let message = outcome.summary();
    let retry = |retry_after: Option<Duration>| {
        let Some(step) = schedule.get(number as usize - 1) else {
            return Verdict::Fail {
                message: format!("{message}; no attempts left after {number}"),
            };
        };
        let jittered = step.mul_f64(1.0 + JITTER * (2.0 * jitter.clamp(0.0, 1.0) - 1.0));
        let wait = match retry_after {
            Some(asked) => asked.clamp(jittered, jittered.max(MAX_RETRY_AFTER)),
            None => jittered,
        };
        Verdict::Retry {
            wait,
            message: message.clone(),
        }
    };
    match outcome {
        Outcome::Response { status, .. } if (200..300).contains(status) => {
            Verdict::Success { message }
        }
        Outcome::Response { status: 410, .. } => Verdict::Gone { message },
        Outcome::Response { status, .. } if (300..400).contains(status) => Verdict::Fail {
            message: format!(
                "redirects are forbidden {status} ({})",
                super::send::status_text(*status)
            ),
        },
        Outcome::Response {
            status: 429 | 503,
            retry_after,
            ..
        } => retry(*retry_after),
        Outcome::Response { .. } | Outcome::Failed { .. } => retry(None),
        Outcome::Refused { .. } => Verdict::Fail { message },
    }
}

/// A `Retry-After` value: seconds, or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let format = time::format_description::well_known::Rfc2822;
    let at = time::OffsetDateTime::parse(&value.replace("GMT", "+0000"), &format).ok()?;
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::DeliverySettings;

    fn response(status: u16, retry_after: Option<Duration>) -> Outcome {
        Outcome::Response {
            status,
            headers: Vec::new(),
            body: String::new(),
            retry_after,
        }
    }

    fn wait_of(verdict: Verdict) -> Duration {
        match verdict {
            Verdict::Retry { wait, .. } => wait,
            other => panic!("not a retry: {other:?}"),
        }
    }

    #[test]
    fn the_schedule_backs_off_with_jitter_then_fails_after_ten_attempts() {
        let schedule = DeliverySettings::default().retry_schedule;
        let expected = [5, 30, 120, 600, 1800, 3600, 10_800, 21_600, 43_200];
        for (index, seconds) in expected.iter().enumerate() {
            let number = index as u32 + 1;
            let middle = wait_of(verdict(&response(500, None), number, &schedule, 0.5));
            assert_eq!(middle, Duration::from_secs(*seconds), "attempt {number}");
            let low = wait_of(verdict(&response(500, None), number, &schedule, 0.0));
            let high = wait_of(verdict(&response(500, None), number, &schedule, 1.0));
            assert_eq!(low, Duration::from_secs(*seconds).mul_f64(0.8));
            assert_eq!(high, Duration::from_secs(*seconds).mul_f64(1.2));
        }
        match verdict(&response(500, None), 10, &schedule, 0.5) {
            Verdict::Fail { message } => assert!(message.contains("500"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_is_clamped_between_the_next_step_and_an_hour() {
        let schedule = DeliverySettings::default().retry_schedule;
        let asked = |seconds| Some(Duration::from_secs(seconds));
        for status in [429, 503] {
            assert_eq!(
                wait_of(verdict(&response(status, asked(1)), 2, &schedule, 0.5)),
                Duration::from_secs(30),
                "never sooner than the schedule"
            );
            assert_eq!(
                wait_of(verdict(&response(status, asked(900)), 2, &schedule, 0.5)),
                Duration::from_secs(900)
            );
            assert_eq!(
                wait_of(verdict(&response(status, asked(86_400)), 2, &schedule, 0.5)),
                Duration::from_secs(3600),
                "never later than an hour"
            );
            assert_eq!(
                wait_of(verdict(&response(status, asked(60)), 8, &schedule, 0.5)),
                Duration::from_secs(21_600),
                "a step beyond an hour stays"
            );
        }
        assert_eq!(
            wait_of(verdict(&response(500, asked(900)), 2, &schedule, 0.5)),
            Duration::from_secs(30),
            "only 429 and 503 are asked to wait"
        );
    }

    #[test]
    fn redirects_gone_and_refusals_are_not_retried() {
        let schedule = DeliverySettings::default().retry_schedule;
        assert_eq!(
            verdict(&response(308, None), 1, &schedule, 0.5),
            Verdict::Fail {
                message: "redirects are forbidden 308 (308 Permanent Redirect)".into()
            }
        );
        assert!(matches!(
            verdict(&response(410, None), 1, &schedule, 0.5),
            Verdict::Gone { .. }
        ));
        let refused = Outcome::Refused {
            message: "10.0.0.1 is not a public address".into(),
        };
        assert!(matches!(
            verdict(&refused, 1, &schedule, 0.5),
            Verdict::Fail { .. }
        ));
        assert!(matches!(
            verdict(&response(204, None), 1, &schedule, 0.5),
            Verdict::Success { .. }
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = time::macros::datetime!(2026-01-01 00:00:00 UTC);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:10:00 GMT", now),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
