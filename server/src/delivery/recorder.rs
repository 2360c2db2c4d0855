//! Writing attempts' results: one recorder task per process writes whatever arrived while its
//! last transaction was being committed in the next one (one disk sync for many attempts), each
//! only while its lease token is still on the delivery (nobody took it over). What the results mean for their webhooks (the failure
//! threshold, disabling) is applied after every attempt of the batch is written, so a webhook
//! disabled by one of them keeps the attempts that really happened in its history.

use std::{collections::HashSet, time::Duration};

use app::webhooks::DisabledReasonCode;
use tokio::sync::mpsc;

use super::{attempt::WEBHOOK_DISABLED, schedule::Verdict, DeliveryEngine};
use crate::{
    db::{
        deliveries::{self, AfterAttempt, AttemptRow, ToRecord},
        webhook_changes, webhooks, TenantId,
    },
    error::Result,
    metrics::AttemptOutcome,
};

/// Most attempts recorded in one transaction.
const MAX_RECORD_BATCH: usize = 256;

/// Most results waiting for the recorder; an attempt that ends while they are all taken waits
/// for a place (its worker slot is free already), so a slow database costs no memory.
pub(super) const RECORDINGS_WAITING: usize = 4096;

/// An attempt's result, to be written under its lease token.
#[derive(Debug, Clone)]
pub(super) struct Recording {
    pub attempt: AttemptRow,
    pub after: AfterAttempt,
    pub token: String,
    pub tenant: TenantId,
    pub webhook_id: String,
    /// Whether it counts toward the failure threshold (test deliveries do not).
    pub counts: bool,
    pub verdict: Verdict,
    pub finished_at: i64,
}

/// What to do once a recording is written (or given up: its lease then runs out).
pub(super) type Written = Box<dyn FnOnce() + Send>;

/// A recording waiting for the recorder, and what to do once it is written.
pub(super) type Queued = (Recording, Written);

impl DeliveryEngine {
    /// Records attempts in one transaction: many commits become one, which is what limits
    /// throughput on a database that syncs every commit to disk.
    pub(super) async fn record(&self, recordings: &[Recording]) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let to_record: Vec<ToRecord<'_>> = recordings
            .iter()
            .map(|recording| ToRecord {
                token: &recording.token,
                attempt: &recording.attempt,
                after: &recording.after,
            })
            .collect();
        let written = deliveries::record_attempts(&mut tx, &to_record).await?;
        let mut recorded = Vec::with_capacity(recordings.len());
        for recording in recordings {
            if written.contains(&recording.attempt.delivery_id) {
                recorded.push(recording);
            } else {
                tracing::info!(delivery_id = %recording.attempt.delivery_id, "lease lost before the attempt was recorded");
            }
        }
        let mut retry_soon = false;
        let mut disabled = Vec::new();
        // A success after successes changes nothing: each webhook is reset once per streak.
        let mut reset = HashSet::new();
        for recording in &recorded {
            if self
                .apply_to_webhook(&mut tx, recording, &mut reset)
                .await?
            {
                disabled.push(&recording.tenant);
            }
            // Other nodes are woken only for a retry due soon; the poll finds later ones.
            retry_soon |= recording
                .after
                .next_attempt_at
                .is_some_and(|due| due <= recording.finished_at + 1000);
        }
        // Retried, unless their webhook was disabled while their attempts were under way.
        let retried: Vec<&str> = recorded
            .iter()
            .filter(|recording| recording.after.next_attempt_at.is_some())
            .map(|recording| recording.attempt.delivery_id.as_str())
            .collect();
        deliveries::end_if_webhook_disabled(&mut tx, &retried, WEBHOOK_DISABLED).await?;
        if retry_soon {
            deliveries::notify_due(&mut tx, self.db().backend()).await?;
        }
        for tenant in &disabled {
            webhook_changes::announce(&mut tx, self.db().backend(), tenant.as_str()).await?;
        }
        tx.commit().await?;
        for tenant in disabled {
            self.db().webhook_changes().changed(tenant.as_str());
        }
        for recording in recorded {
            let outcome = match recording.verdict {
                Verdict::Success { .. } => AttemptOutcome::Success,
                Verdict::Retry { .. } => AttemptOutcome::Retry,
                Verdict::Fail { .. } | Verdict::Gone { .. } => AttemptOutcome::Fail,
            };
            let duration =
                Duration::from_millis(u64::try_from(recording.attempt.duration_ms).unwrap_or(0));
            self.inner.metrics.attempt(outcome, duration);
        }
        Ok(())
    }

    /// Counts a recorded attempt toward its webhook's failure threshold, and disables the
    /// webhook when the endpoint is gone or the threshold is reached; whether it did.
    async fn apply_to_webhook(
        &self,
        conn: &mut sqlx::AnyConnection,
        recording: &Recording,
        reset: &mut HashSet<String>,
    ) -> Result<bool> {
        let Recording {
            tenant,
            webhook_id,
            counts,
            verdict,
            finished_at,
            ..
        } = recording;
        let disable = match verdict {
            Verdict::Gone { .. } => Some((
                "The endpoint answered 410 Gone.".to_owned(),
                DisabledReasonCode::EndpointGone,
            )),
            Verdict::Success { .. } if *counts => {
                if reset.insert(webhook_id.clone()) {
                    webhooks::reset_failures(conn, webhook_id).await?;
                }
                None
            }
            Verdict::Retry { .. } | Verdict::Fail { .. } if *counts => {
                reset.remove(webhook_id);
                let ended = matches!(verdict, Verdict::Fail { .. });
                let (in_a_row, since) =
                    webhooks::note_failure(conn, webhook_id, ended, *finished_at).await?;
                self.threshold_reached(in_a_row, since, *finished_at)
                    .map(|reason| (reason, DisabledReasonCode::DeliveryFailureThreshold))
            }
            _ => None,
        };
        let Some((reason, code)) = disable else {
            return Ok(false);
        };
        if !webhooks::disable(conn, webhook_id, &reason, code.as_str(), *finished_at).await? {
            return Ok(false);
        }
        deliveries::end_pending_of_disabled(conn, tenant, WEBHOOK_DISABLED).await?;
        tracing::warn!(%webhook_id, tenant_id = %tenant, reason = code.as_str(), "webhook disabled");
        Ok(true)
    }

    /// Records the workers' attempts in batches: whatever arrived while the last batch was
    /// being committed goes into the next one.
    pub(super) async fn record_loop(self, mut queue: mpsc::Receiver<Queued>) {
        let mut waiting = Vec::with_capacity(MAX_RECORD_BATCH);
        while queue.recv_many(&mut waiting, MAX_RECORD_BATCH).await > 0 {
            let mut batch = std::mem::take(&mut waiting);
            while !batch.is_empty() {
                // Two results for one delivery (a lease that ran out while its result waited,
                // and the attempt of the node that took over) go in separate transactions.
                let mut seen = HashSet::new();
                let (now, later): (Vec<Queued>, Vec<Queued>) = batch
                    .into_iter()
                    .partition(|(recording, _)| seen.insert(recording.attempt.delivery_id.clone()));
                self.record_batch(now).await;
                batch = later;
            }
        }
    }

    /// Records one batch, then tells each sender it was written (or given up).
    async fn record_batch(&self, batch: Vec<Queued>) {
        let (recordings, written): (Vec<Recording>, Vec<_>) = batch.into_iter().unzip();
        match self.record(&recordings).await {
            Ok(()) => {}
            // Written one by one, the others would wait as long: their leases run out and
            // they are attempted again.
            Err(error) if error.is_unavailable() => {
                tracing::warn!(%error, attempts = recordings.len(), "batch not recorded: the database is unavailable");
            }
            Err(error) => {
                // One recording's trouble (or a deadlock with a webhook being disabled) must
                // not cost the others: they are written one by one.
                tracing::warn!(%error, attempts = recordings.len(), "batch not recorded; recording one by one");
                for recording in &recordings {
                    if let Err(error) = self.record(std::slice::from_ref(recording)).await {
                        // Its lease runs out and the delivery is attempted again.
                        tracing::warn!(delivery_id = %recording.attempt.delivery_id, %error, "attempt not recorded");
                    }
                }
            }
        }
        for done in written {
            done();
        }
    }

    /// The reason to disable a webhook that failed `in_a_row` deliveries in a row and every
    /// attempt since `since`, if the threshold is reached.
    fn threshold_reached(&self, in_a_row: i64, since: i64, now: i64) -> Option<String> {
        let settings = &self.inner.settings;
        let period = i64::try_from(settings.failing_period.as_millis()).unwrap_or(i64::MAX);
        if in_a_row >= i64::from(settings.failure_threshold) {
            Some(format!("{in_a_row} deliveries in a row failed."))
        } else if now - since >= period {
            Some(format!(
                "Every delivery attempt failed for {}.",
                humantime::format_duration(settings.failing_period)
            ))
        } else {
            None
        }
    }
}
