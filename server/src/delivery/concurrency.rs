//! How many requests one webhook may have in flight, learned from how its endpoint answers:
//! the limit grows by one for each quick success while the webhook uses all of it, and halves
//! when an attempt fails for a reason that says "less" (no answer, a timeout, 429, 5xx) or
//! takes long — additive increase, multiplicative decrease, as TCP paces a connection. A fast
//! endpoint so gets the concurrency it can take, and a dead one soon holds a single worker.

use std::time::Duration;

use super::send::Outcome;

/// Where a new webhook starts.
pub const INITIAL_LIMIT: usize = 2;

/// How an exchange tells the limit to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A 2xx that came quickly: more may follow at once.
    Fast,
    /// No answer, a timeout, 429, 5xx, or an answer that took long: fewer at once.
    Overloaded,
    /// Anything else (a 4xx, a refused address): says nothing about the endpoint's capacity.
    Neutral,
}

impl Signal {
    /// What `outcome`, which took `took`, says; an exchange is slow from `slow` on.
    pub fn of(outcome: &Outcome, took: Duration, slow: Duration) -> Self {
        match outcome {
            _ if took >= slow => Signal::Overloaded,
            Outcome::Response { status, .. } if (200..300).contains(status) => Signal::Fast,
            Outcome::Response { status, .. } if *status == 429 || *status >= 500 => {
                Signal::Overloaded
            }
            Outcome::Failed { .. } => Signal::Overloaded,
            Outcome::Response { .. } | Outcome::Refused { .. } => Signal::Neutral,
        }
    }
}

/// One webhook's limit, between 1 and a ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    current: usize,
    ceiling: usize,
}

impl Limit {
    pub fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1);
        Self {
            current: INITIAL_LIMIT.min(ceiling),
            ceiling,
        }
    }

    pub fn get(self) -> usize {
        self.current
    }

    /// Moves the limit after an exchange ended with `signal`, when `in_flight` others (this
    /// one not counted) were still under way: it grows only while it was all in use.
    pub fn adjust(&mut self, signal: Signal, in_flight: usize) {
        match signal {
            Signal::Fast if in_flight + 1 >= self.current => {
                self.current = (self.current + 1).min(self.ceiling);
            }
            Signal::Overloaded => self.current = (self.current / 2).max(1),
            Signal::Fast | Signal::Neutral => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOW: Duration = Duration::from_secs(2);

    fn answer(status: u16) -> Outcome {
        Outcome::Response {
            status,
            headers: Vec::new(),
            body: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn outcomes_give_their_signals() {
        let quick = Duration::from_millis(5);
        for (outcome, took, expected) in [
            (answer(200), quick, Signal::Fast),
            (answer(204), quick, Signal::Fast),
            (answer(200), SLOW, Signal::Overloaded),
            (answer(429), quick, Signal::Overloaded),
            (answer(503), quick, Signal::Overloaded),
            (
                Outcome::Failed {
                    message: "timeout".into(),
                },
                quick,
                Signal::Overloaded,
            ),
            (answer(400), quick, Signal::Neutral),
            (answer(410), quick, Signal::Neutral),
            (
                Outcome::Refused {
                    message: "private".into(),
                },
                quick,
                Signal::Neutral,
            ),
        ] {
            assert_eq!(Signal::of(&outcome, took, SLOW), expected, "{outcome:?}");
        }
    }

    #[test]
    fn grows_while_used_up_to_the_ceiling_and_halves_on_trouble() {
        let mut limit = Limit::new(64);
        assert_eq!(limit.get(), INITIAL_LIMIT);
        // Quick answers while the whole limit is in use: one more each time.
        for _ in 0..10 {
            let in_use = limit.get() - 1;
            limit.adjust(Signal::Fast, in_use);
        }
        assert_eq!(limit.get(), INITIAL_LIMIT + 10);
        // Not in use: no reason to grow.
        limit.adjust(Signal::Fast, 0);
        assert_eq!(limit.get(), INITIAL_LIMIT + 10);
        limit.adjust(Signal::Neutral, 11);
        assert_eq!(limit.get(), INITIAL_LIMIT + 10);
        limit.adjust(Signal::Overloaded, 11);
        assert_eq!(limit.get(), 6);
        for _ in 0..5 {
            limit.adjust(Signal::Overloaded, 0);
        }
        assert_eq!(limit.get(), 1, "never below one");
        for _ in 0..200 {
            let in_use = limit.get() - 1;
            limit.adjust(Signal::Fast, in_use);
        }
        assert_eq!(limit.get(), 64, "never above the ceiling");
        assert_eq!(Limit::new(1).get(), 1, "a ceiling below the start");
    }
}
