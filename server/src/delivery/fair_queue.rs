//! The order in which queued attempts get worker slots: tenants take turns, then the webhooks
//! of a tenant take turns; a webhook is skipped while it has as many attempts in flight as its
//! learned limit allows (`concurrency`), and a tenant while it holds its share of the slots
//! (half of them). A tenant whose endpoints time out so holds at most one limit per webhook and
//! never every slot, and waits its turn like everybody else: it cannot delay another tenant's
//! deliveries, nor a dead webhook a healthy one of the same tenant.
//!
//! Pure bookkeeping, no I/O: the workers push what they claimed, take what [`FairQueue::next`]
//! gives while they have free slots, and report each exchange's end with
//! [`FairQueue::finished`].

use std::{
    collections::{HashMap, VecDeque},
    time::Duration,
};

use super::concurrency::{Limit, Signal};

/// The fewest attempts of a webhook held in memory, as a multiple of its limit: enough to keep
/// it busy while more are fetched.
const HELD_PER_LIMIT: usize = 2;

/// The weight of the newest exchange in a webhook's average exchange time.
const AVERAGE_WEIGHT: f64 = 0.125;

/// One webhook's queue, what it has in flight and its limit.
#[derive(Debug)]
struct Webhook<J> {
    tenant: String,
    queued: VecDeque<J>,
    in_flight: usize,
    /// Attempts ended but not recorded yet: still held in memory (and under lease).
    recording: usize,
    limit: Limit,
    /// How long its exchanges take, on average (none finished yet: unknown).
    average: Option<Duration>,
    /// Whether it is in its tenant's turn list.
    listed: bool,
}

impl<J> Webhook<J> {
    fn runnable(&self) -> bool {
        !self.queued.is_empty() && self.in_flight < self.limit.get()
    }

    fn idle(&self) -> bool {
        self.queued.is_empty() && self.in_flight == 0 && self.recording == 0
    }
}

/// One tenant's turn list and what it has in flight.
#[derive(Debug, Default)]
struct Tenant {
    /// Its webhooks that may have a runnable attempt, in turn order.
    turns: VecDeque<String>,
    in_flight: usize,
    /// Whether it is in the tenants' turn list.
    listed: bool,
}

/// Queued attempts, by tenant and webhook, handed out in turns.
#[derive(Debug)]
pub struct FairQueue<J> {
    webhooks: HashMap<String, Webhook<J>>,
    tenants: HashMap<String, Tenant>,
    /// Tenants that may have a runnable attempt and are below their share, in turn order.
    turns: VecDeque<String>,
    /// Attempts queued, in flight or being recorded, all webhooks together.
    held: usize,
    /// The most attempts in flight to one webhook.
    ceiling: usize,
    /// The most attempts in flight for one tenant.
    tenant_share: usize,
    /// How long a lease lasts: an attempt should start within half of it.
    lease: Duration,
}

impl<J> FairQueue<J> {
    /// A queue for `slots` worker slots whose webhooks' limits grow up to `ceiling`, holding
    /// attempts under leases of `lease`.
    pub fn new(slots: usize, ceiling: usize, lease: Duration) -> Self {
        Self {
            webhooks: HashMap::new(),
            tenants: HashMap::new(),
            turns: VecDeque::new(),
            held: 0,
            ceiling,
            tenant_share: slots.div_ceil(2).max(1),
            lease,
        }
    }

    /// Queues `job` for `webhook` of `tenant`.
    pub fn push(&mut self, tenant: &str, webhook: &str, job: J) {
        if !self.webhooks.contains_key(webhook) {
            self.webhooks.insert(
                webhook.to_owned(),
                Webhook {
                    tenant: tenant.to_owned(),
                    queued: VecDeque::new(),
                    in_flight: 0,
                    recording: 0,
                    limit: Limit::new(self.ceiling),
                    average: None,
                    listed: false,
                },
            );
        }
        if let Some(entry) = self.webhooks.get_mut(webhook) {
            entry.queued.push_back(job);
        }
        self.held += 1;
        self.list(webhook);
    }

    /// The next attempt to start, counted in flight for its webhook and tenant until
    /// [`FairQueue::finished`]; `None` when no webhook with queued attempts has room.
    pub fn next(&mut self) -> Option<(String, J)> {
        while let Some(name) = self.turns.pop_front() {
            let Some(tenant) = self.tenants.get_mut(&name) else {
                continue;
            };
            tenant.listed = false;
            if tenant.in_flight >= self.tenant_share {
                // Listed again when one of its attempts ends.
                continue;
            }
            let mut found = None;
            while let Some(id) = tenant.turns.pop_front() {
                let Some(webhook) = self.webhooks.get_mut(&id) else {
                    continue;
                };
                if !webhook.runnable() {
                    // Listed again when an attempt ends or work arrives.
                    webhook.listed = false;
                    continue;
                }
                let job = webhook.queued.pop_front();
                webhook.in_flight += 1;
                tenant.in_flight += 1;
                if webhook.runnable() {
                    tenant.turns.push_back(id.clone());
                } else {
                    webhook.listed = false;
                }
                found = job.map(|job| (id, job));
                break;
            }
            if !tenant.turns.is_empty() && tenant.in_flight < self.tenant_share {
                tenant.listed = true;
                self.turns.push_back(name);
            }
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// The exchange of an attempt to `webhook` ended with `signal` after `took` (`None`: no
    /// request was made): its slot is free, its limit moves, and the attempt stays held until
    /// [`FairQueue::recorded`].
    pub fn finished(&mut self, webhook: &str, signal: Signal, took: Option<Duration>) {
        let Some(entry) = self.webhooks.get_mut(webhook) else {
            return;
        };
        if let Some(took) = took {
            entry.average = Some(match entry.average {
                Some(average) => {
                    average.mul_f64(1.0 - AVERAGE_WEIGHT) + took.mul_f64(AVERAGE_WEIGHT)
                }
                None => took,
            });
        }
        entry.in_flight = entry.in_flight.saturating_sub(1);
        entry.recording += 1;
        let in_flight = entry.in_flight;
        entry.limit.adjust(signal, in_flight);
        if let Some(tenant) = self.tenants.get_mut(&entry.tenant) {
            tenant.in_flight = tenant.in_flight.saturating_sub(1);
        }
        let tenant = entry.tenant.clone();
        self.list(webhook);
        self.list_tenant(&tenant);
    }

    /// An attempt to `webhook` that [`FairQueue::finished`] was written (or given up).
    pub fn recorded(&mut self, webhook: &str) {
        if let Some(entry) = self.webhooks.get_mut(webhook) {
            entry.recording = entry.recording.saturating_sub(1);
            self.held = self.held.saturating_sub(1);
            self.forget_if_idle(webhook);
        }
    }

    /// Takes every queued (not started) attempt of `webhook` out of the queue.
    pub fn remove_queued(&mut self, webhook: &str) -> Vec<J> {
        let Some(entry) = self.webhooks.get_mut(webhook) else {
            return Vec::new();
        };
        let removed: Vec<J> = entry.queued.drain(..).collect();
        if entry.listed {
            entry.listed = false;
            if let Some(tenant) = self.tenants.get_mut(&entry.tenant) {
                tenant.turns.retain(|id| id != webhook);
            }
        }
        self.held = self.held.saturating_sub(removed.len());
        self.forget_if_idle(webhook);
        removed
    }

    /// Takes every queued attempt out (at shutdown).
    pub fn drain_queued(&mut self) -> Vec<J> {
        let ids: Vec<String> = self.webhooks.keys().cloned().collect();
        ids.iter().flat_map(|id| self.remove_queued(id)).collect()
    }

    /// Attempts queued, in flight or being recorded for `webhook`.
    pub fn held_for(&self, webhook: &str) -> usize {
        self.webhooks.get(webhook).map_or(0, |entry| {
            entry.queued.len() + entry.in_flight + entry.recording
        })
    }

    /// Attempts queued, in flight or being recorded, all webhooks together.
    pub fn held(&self) -> usize {
        self.held
    }

    /// How many attempts `webhook` may have in flight now.
    #[cfg(test)]
    pub fn limit_of(&self, webhook: &str) -> usize {
        self.webhooks
            .get(webhook)
            .map_or(Limit::new(self.ceiling).get(), |entry| entry.limit.get())
    }

    /// How many attempts `webhook` may hold: twice its limit, or as many as its limit gets
    /// through in half a lease at its average exchange time, whichever is more — a fast
    /// endpoint's backlog is fetched in large batches, a slow one's few at a time, and each
    /// attempt starts well within its lease.
    pub fn share(&self, webhook: &str) -> usize {
        let Some(entry) = self.webhooks.get(webhook) else {
            return HELD_PER_LIMIT * Limit::new(self.ceiling).get();
        };
        let limit = entry.limit.get();
        let floor = HELD_PER_LIMIT * limit;
        let Some(average) = entry.average else {
            return floor;
        };
        let turns = self.lease.as_secs_f64() / 2.0 / average.as_secs_f64().max(0.000_1);
        let by_pace = (limit as f64 * turns).min(1_000_000.0) as usize;
        floor.max(by_pace)
    }

    /// Whether `webhook` may hold `more` attempts besides those it holds.
    pub fn has_room(&self, webhook: &str, more: usize) -> bool {
        self.held_for(webhook) + more < self.share(webhook)
    }

    /// Whether `webhook` may hold one more attempt besides those it holds and those `taken`
    /// counts for it (a batch being fetched); if so, counts it in `taken`.
    pub fn take_room(&self, webhook: &str, taken: &mut HashMap<String, usize>) -> bool {
        let count = taken.get(webhook).copied().unwrap_or(0);
        if !self.has_room(webhook, count) {
            return false;
        }
        match taken.get_mut(webhook) {
            Some(count) => *count += 1,
            None => {
                taken.insert(webhook.to_owned(), 1);
            }
        }
        true
    }

    /// Webhooks holding their whole share: no more should be fetched for them.
    pub fn full(&self) -> Vec<String> {
        self.webhooks
            .keys()
            .filter(|id| !self.has_room(id, 0))
            .cloned()
            .collect()
    }

    /// Puts `webhook` in its tenant's turn list if it has a runnable attempt.
    fn list(&mut self, webhook: &str) {
        let Some(entry) = self.webhooks.get_mut(webhook) else {
            return;
        };
        if entry.listed || !entry.runnable() {
            return;
        }
        entry.listed = true;
        let tenant = entry.tenant.clone();
        self.tenants
            .entry(tenant.clone())
            .or_default()
            .turns
            .push_back(webhook.to_owned());
        self.list_tenant(&tenant);
    }

    /// Puts `name` in the tenants' turn list if it has webhooks to turn to and is below its
    /// share.
    fn list_tenant(&mut self, name: &str) {
        let Some(tenant) = self.tenants.get_mut(name) else {
            return;
        };
        if !tenant.listed && !tenant.turns.is_empty() && tenant.in_flight < self.tenant_share {
            tenant.listed = true;
            self.turns.push_back(name.to_owned());
        }
    }

    /// Drops what is known of an idle webhook (its limit is learned again next time) and of
    /// a tenant left with nothing.
    fn forget_if_idle(&mut self, webhook: &str) {
        let Some(entry) = self.webhooks.get(webhook) else {
            return;
        };
        if !entry.idle() {
            return;
        }
        let tenant = entry.tenant.clone();
        self.webhooks.remove(webhook);
        if self.tenants.get(&tenant).is_some_and(|tenant| {
            tenant.in_flight == 0 && !tenant.listed && tenant.turns.is_empty()
        }) {
            self.tenants.remove(&tenant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes attempts until none has room; their webhooks in order.
    fn take_all(queue: &mut FairQueue<u32>) -> Vec<String> {
        std::iter::from_fn(|| queue.next().map(|(webhook, _)| webhook)).collect()
    }

    #[test]
    fn tenants_take_turns_then_their_webhooks() {
        let mut queue = FairQueue::new(256, 64, LEASE);
        for n in 0..6 {
            queue.push("a", &format!("a{}", n % 3), n);
        }
        queue.push("b", "b0", 100);
        queue.push("b", "b0", 101);
        // Limits start at 2: a0, a1 and a2 may each have 2 in flight, b0 too.
        assert_eq!(
            take_all(&mut queue),
            ["a0", "b0", "a1", "b0", "a2", "a0", "a1", "a2"]
        );
        assert_eq!(queue.next(), None);
        assert_eq!(queue.held(), 8);
        assert_eq!(queue.held_for("a0"), 2);
    }

    #[test]
    fn a_webhook_at_its_limit_waits_while_others_go() {
        let mut queue = FairQueue::new(256, 64, LEASE);
        for n in 0..10 {
            queue.push("dead", "slow", n);
        }
        assert_eq!(take_all(&mut queue), ["slow", "slow"]);
        queue.push("healthy", "fast", 100);
        queue.push("healthy", "fast", 101);
        assert_eq!(take_all(&mut queue), ["fast", "fast"]);
        // Timeouts halve the dead webhook's limit to one.
        queue.finished("slow", Signal::Overloaded, Some(TIMEOUT));
        assert_eq!(queue.limit_of("slow"), 1);
        assert_eq!(queue.next(), None, "one still in flight, its limit is one");
        queue.finished("slow", Signal::Overloaded, Some(TIMEOUT));
        assert_eq!(take_all(&mut queue), ["slow"]);
        // The healthy one grows while it answers quickly.
        queue.finished("fast", Signal::Fast, Some(QUICK));
        assert_eq!(queue.limit_of("fast"), 3);
        assert_eq!(
            queue.full(),
            ["slow".to_owned()],
            "7 queued + 1 in flight + 2 being recorded ≥ 2 × 1"
        );
        // Half a 30 s lease holds 1,500 exchanges of 10 ms: 3 at a time, 4,500 in all.
        assert_eq!(queue.share("fast"), 4_500);
        assert_eq!(queue.share("slow"), 2, "twice its limit, at the least");
    }

    #[test]
    fn held_attempts_are_counted_until_recorded_and_idle_webhooks_forgotten() {
        let mut queue = FairQueue::new(256, 8, LEASE);
        queue.push("t", "w", 1);
        queue.push("t", "w", 2);
        queue.push("t", "other", 3);
        assert_eq!(queue.held(), 3);
        let (webhook, job) = queue.next().expect("an attempt");
        assert_eq!((webhook.as_str(), job), ("w", 1));
        queue.finished("w", Signal::Fast, Some(QUICK));
        assert_eq!(queue.held_for("w"), 2, "one queued, one being recorded");
        assert_eq!(queue.remove_queued("w"), [2]);
        assert_eq!(queue.held(), 2);
        queue.recorded("w");
        assert_eq!(queue.held_for("w"), 0);
        assert_eq!(
            queue.limit_of("w"),
            INITIAL,
            "forgotten, so back to the start"
        );
        assert_eq!(queue.drain_queued(), [3]);
        assert_eq!(queue.held(), 0);
        assert_eq!(queue.next(), None);
    }

    #[test]
    fn a_tenant_holds_at_most_half_the_slots() {
        let mut queue = FairQueue::new(8, 64, LEASE);
        for n in 0..10 {
            for _ in 0..2 {
                queue.push("dead", &format!("d{n}"), n);
            }
        }
        assert_eq!(take_all(&mut queue).len(), 4, "half of 8 slots");
        queue.push("healthy", "h", 100);
        assert_eq!(take_all(&mut queue), ["h"]);
        queue.finished("d0", Signal::Overloaded, Some(TIMEOUT));
        assert_eq!(take_all(&mut queue), ["d4"], "one slot back, one more turn");
    }

    const LEASE: Duration = Duration::from_secs(30);
    const TIMEOUT: Duration = Duration::from_secs(10);
    const QUICK: Duration = Duration::from_millis(10);

    const INITIAL: usize = super::super::concurrency::INITIAL_LIMIT;
}
