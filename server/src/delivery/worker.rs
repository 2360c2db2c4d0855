//! The workers: one claiming loop per process takes due deliveries in
//! batches under a lease, each attempt runs as its own task within a global limit and a
//! per-webhook limit, and its result is recorded only while the lease still holds. No database
//! transaction is open while a request is in flight.

use std::{
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use app::{
    deliveries::{DeliveryStatus, Trigger},
    webhooks::DisabledReasonCode,
};
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    payload::Format,
    request,
    schedule::{self, Verdict},
    send::Outcome,
    DeliveryEngine,
};
use crate::{
    db::{
        deliveries::{self, AfterAttempt, AttemptRow, Claim, DeliveryRow},
        events::{self, EventRow},
        webhooks::{self, WebhookRow},
        TenantId,
    },
    error::{Error, Result},
    metrics::{AttemptOutcome, Stage},
    timestamps::to_millis,
};

/// How long past the grace period a stop waits for the last results to be written.
const RECORDER_PATIENCE: Duration = Duration::from_secs(5);

/// Most deliveries claimed in one go.
const CLAIM_BATCH: usize = 100;

/// The status message of deliveries ended because their webhook was disabled.
pub const WEBHOOK_DISABLED: &str = "webhook disabled";

/// The background tasks of the engine. [`Workers::shutdown`] stops them gracefully; dropping
/// this stops them at once (attempts in flight keep their leases until those expire).
pub struct Workers {
    engine: DeliveryEngine,
    run: Option<Arc<Run>>,
    claiming: Option<JoinHandle<()>>,
    recorder: Option<JoinHandle<()>>,
    /// The retention job and the PostgreSQL listener: nothing to finish, just stopped.
    others: Vec<JoinHandle<()>>,
}

/// What one start of the workers shares with the tasks it spawns.
struct Run {
    /// Set at shutdown: the claiming loop takes no more work.
    stop_claiming: CancellationToken,
    /// The attempts the claiming loop started, so shutdown can wait for them.
    attempts: TaskTracker,
    /// Set when the grace period ends: attempts still running stop.
    abandon: CancellationToken,
    /// The claim tokens of the attempts stopped that way, one per attempt.
    abandoned: Mutex<Vec<String>>,
    /// Where attempts hand their results to the recorder, which ends once every holder of
    /// this run is gone.
    recordings: mpsc::UnboundedSender<Queued>,
}

/// What a graceful stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Attempts still running when the grace period ended, stopped unrecorded.
    pub abandoned: usize,
    /// Deliveries whose leases were given back, due again at once for whichever node is up.
    pub released: u64,
}

impl Workers {
    /// Stops claiming, gives the attempts in flight `grace` to finish and be recorded, then
    /// stops the rest and gives back their leases, so a restarted or another node
    /// takes them over at once instead of after the lease expires.
    pub async fn shutdown(mut self, grace: Duration) -> Stopped {
        let deadline = tokio::time::Instant::now() + grace;
        let Some(run) = self.run.take() else {
            return Stopped {
                abandoned: 0,
                released: 0,
            };
        };
        run.stop_claiming.cancel();
        if let Some(mut claiming) = self.claiming.take() {
            // A claim under way ends by starting its attempts, which the tracker then holds.
            if tokio::time::timeout_at(deadline, &mut claiming)
                .await
                .is_err()
            {
                tracing::warn!(
                    "claiming did not stop within the grace period; its claims expire on their own"
                );
                claiming.abort();
                let _ = claiming.await;
            }
        }
        run.attempts.close();
        if tokio::time::timeout_at(deadline, run.attempts.wait())
            .await
            .is_err()
        {
            run.abandon.cancel();
            run.attempts.wait().await;
        }
        let mut tokens = std::mem::take(&mut *lock(&run.abandoned));
        // The recorder writes what finished attempts handed it, then ends with the run.
        drop(run);
        if let Some(mut recorder) = self.recorder.take() {
            if tokio::time::timeout_at(deadline + RECORDER_PATIENCE, &mut recorder)
                .await
                .is_err()
            {
                tracing::warn!("attempts not recorded in time; their leases expire on their own");
                recorder.abort();
            }
        }
        let abandoned = tokens.len();
        tokens.sort_unstable();
        tokens.dedup();
        let released = match self.engine.release(&tokens).await {
            Ok(released) => released,
            Err(error) => {
                tracing::warn!(%error, "cannot give back the leases of unfinished attempts; they expire on their own");
                0
            }
        };
        Stopped {
            abandoned,
            released,
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let tasks = self
            .claiming
            .iter()
            .chain(&self.recorder)
            .chain(&self.others);
        for task in tasks {
            task.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DeliveryEngine {
    /// Starts the claiming loop, the recorder, the retention job and (on PostgreSQL) the
    /// listener that wakes this node when another one accepted events.
    pub fn start(&self) -> Workers {
        let (recordings, queue) = mpsc::unbounded_channel();
        let run = Arc::new(Run {
            stop_claiming: CancellationToken::new(),
            attempts: TaskTracker::new(),
            abandon: CancellationToken::new(),
            abandoned: Mutex::new(Vec::new()),
            recordings,
        });
        let mut others = vec![tokio::spawn(self.clone().retention_loop())];
        if let Some(url) = self.db().postgres_url() {
            others.push(tokio::spawn(self.clone().listen_loop(url.to_owned())));
        }
        Workers {
            engine: self.clone(),
            claiming: Some(tokio::spawn(self.clone().claim_loop(run.clone()))),
            recorder: Some(tokio::spawn(self.clone().record_loop(queue))),
            run: Some(run),
            others,
        }
    }

    /// Gives back the leases of the claims `tokens`.
    async fn release(&self, tokens: &[String]) -> Result<u64> {
        let mut conn = self.db().connection().await?;
        let now = self.now_millis();
        let mut released = 0;
        for token in tokens {
            released += deliveries::release(&mut conn, token, now).await?;
        }
        if released > 0 {
            deliveries::notify_due(&mut conn, self.db().backend()).await?;
        }
        Ok(released)
    }

    async fn claim_loop(self, run: Arc<Run>) {
        while !run.stop_claiming.is_cancelled() {
            let claimed = match self.claim(&run).await {
                Ok(count) => count,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim due deliveries");
                    0
                }
            };
            if claimed == CLAIM_BATCH {
                continue;
            }
            tokio::select! {
                () = run.stop_claiming.cancelled() => {}
                _ = tokio::time::timeout(
                    self.inner.settings.poll_interval,
                    self.inner.wake.notified(),
                ) => {}
            }
        }
    }

    /// Claims as many due deliveries as there is room for and starts their attempts.
    async fn claim(&self, run: &Arc<Run>) -> Result<usize> {
        let room = self.inner.permits.available_permits().min(CLAIM_BATCH);
        if room == 0 {
            return Ok(0);
        }
        let cap = self.inner.settings.per_webhook_in_flight;
        let mut counts = self.in_flight().clone();
        let busy: Vec<String> = counts
            .iter()
            .filter(|(_, count)| **count >= cap)
            .map(|(webhook, _)| webhook.clone())
            .collect();
        let token = uuid::Uuid::new_v4().to_string();
        let now = self.now_millis();
        let lease = i64::try_from(self.inner.settings.lease().as_millis()).unwrap_or(i64::MAX);
        let mut tx = self.db().begin().await?;
        let claimed = deliveries::claim_due(
            &mut tx,
            self.db().backend(),
            &Claim {
                now,
                lease_until: now.saturating_add(lease),
                token: &token,
                limit: room,
                busy: &busy,
            },
            |webhook| {
                let count = counts.entry(webhook.to_owned()).or_default();
                *count += 1;
                *count <= cap
            },
        )
        .await?;
        tx.commit().await?;
        for delivery in &claimed {
            let Ok(permit) = self.inner.permits.clone().try_acquire_owned() else {
                // Only this loop takes permits, and it counted them first.
                tracing::error!("no attempt slot for a claimed delivery");
                break;
            };
            *self
                .in_flight()
                .entry(delivery.webhook_id.clone())
                .or_default() += 1;
            let engine = self.clone();
            let (id, webhook_id, token) = (
                delivery.id.clone(),
                delivery.webhook_id.clone(),
                token.clone(),
            );
            let run = run.clone();
            let due = delivery.due;
            run.clone().attempts.spawn(async move {
                let waited = engine.now_millis().saturating_sub(due).max(0);
                engine.inner.metrics.stage(
                    Stage::Queued,
                    Duration::from_millis(u64::try_from(waited).unwrap_or(0)),
                );
                let attempt = async {
                    match engine.make_attempt(&id, &token).await {
                        Ok(Some(recording)) => {
                            let recording_since = Instant::now();
                            queue_recording(&run, recording).await;
                            engine
                                .inner
                                .metrics
                                .stage(Stage::Record, recording_since.elapsed());
                        }
                        Ok(None) => {}
                        Err(error) => tracing::warn!(delivery_id = %id, %error, "attempt failed"),
                    }
                };
                tokio::select! {
                    () = attempt => {}
                    () = run.abandon.cancelled() => lock(&run.abandoned).push(token),
                }
                engine.finished(&webhook_id);
                drop(permit);
                engine.wake();
            });
        }
        Ok(claimed.len())
    }

    fn finished(&self, webhook_id: &str) {
        let mut in_flight = self.in_flight();
        if let Some(count) = in_flight.get_mut(webhook_id) {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(webhook_id);
            }
        }
    }

    /// Makes one attempt of a delivery this process holds under `token`, and records it at
    /// once (a resend, while the person waits).
    pub(super) async fn attempt(&self, delivery_id: &str, token: &str) -> Result<()> {
        match self.make_attempt(delivery_id, token).await? {
            Some(recording) => self.record(std::slice::from_ref(&recording)).await,
            None => Ok(()),
        }
    }

    /// Makes one attempt of a delivery this process holds under `token`; what to record, or
    /// `None` when there was nothing to send.
    async fn make_attempt(&self, delivery_id: &str, token: &str) -> Result<Option<Recording>> {
        let preparing = Instant::now();
        let mut conn = self.db().connection().await?;
        // Gone, ended or taken over since the claim: nothing to send.
        let Some(delivery) = deliveries::get_by_id(&mut conn, delivery_id)
            .await?
            .filter(|delivery| delivery.lease_token.as_deref() == Some(token))
        else {
            return Ok(None);
        };
        let Some(webhook) = webhooks::get_by_id(&mut conn, &delivery.webhook_id).await? else {
            return Ok(None);
        };
        if webhook.enabled == 0 {
            deliveries::end_claimed(&mut conn, delivery_id, token, WEBHOOK_DISABLED).await?;
            return Ok(None);
        }
        let event = events::get(&mut conn, &delivery.event_ref).await?;
        drop(conn);

        let now = self.inner.clock.now();
        let prepared = self.prepare(&delivery, &webhook, event, now);
        let metrics = &self.inner.metrics;
        metrics.stage(Stage::Prepare, preparing.elapsed());
        let started = Instant::now();
        // A request that cannot be made (its event is gone, a secret cannot be opened) is a
        // failed attempt like any other: retried, and in the end a visible `fail`.
        let (outcome, url, shown) = match prepared {
            Ok((prepared, body)) => {
                let outcome = self.inner.sender.send(&prepared, &body, now).await;
                metrics.stage(Stage::Exchange, started.elapsed());
                (outcome, prepared.url.clone(), prepared.shown_json())
            }
            Err(error) => {
                tracing::error!(%delivery_id, %error, "cannot prepare a delivery request");
                let shown = request::planned_headers(&webhook, &self.inner.settings.user_agent)
                    .map(|headers| request::headers_json(&headers))
                    .unwrap_or_else(|_| delivery.request_headers.clone());
                (
                    Outcome::Failed {
                        message: "the request could not be prepared (see the server log)".into(),
                    },
                    webhook.url.clone(),
                    shown,
                )
            }
        };
        let duration = started.elapsed();

        let trigger = Trigger::parse(&delivery.trigger_kind).unwrap_or(Trigger::Automatic);
        let number = u32::try_from(delivery.attempt_count).unwrap_or(u32::MAX - 1) + 1;
        // A resend is one attempt, made while the person waits.
        let schedule: &[Duration] = match trigger {
            Trigger::Manual => &[],
            Trigger::Automatic | Trigger::Test => &self.inner.settings.retry_schedule,
        };
        let verdict = schedule::verdict(&outcome, number, schedule, rand::random::<f64>());
        let finished_at = to_millis(self.inner.clock.now());
        let (status, message, next_attempt_at) = match &verdict {
            Verdict::Success { message } => (DeliveryStatus::Success, message, None),
            Verdict::Retry { wait, message } => (
                DeliveryStatus::Pending,
                message,
                Some(
                    finished_at.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
                ),
            ),
            Verdict::Fail { message } | Verdict::Gone { message } => {
                (DeliveryStatus::Fail, message, None)
            }
        };
        let after = AfterAttempt {
            status: status.as_str().to_owned(),
            status_message: message.clone(),
            next_attempt_at,
            request_url: url,
            request_headers: shown,
        };
        Ok(Some(Recording {
            attempt: attempt_row(delivery_id, number, to_millis(now), duration, &outcome),
            after,
            token: token.to_owned(),
            tenant: TenantId::from_stored(delivery.tenant_id),
            webhook_id: webhook.id,
            counts: trigger != Trigger::Test,
            verdict,
            finished_at,
        }))
    }

    /// The request of an attempt, and the body it sends.
    fn prepare(
        &self,
        delivery: &DeliveryRow,
        webhook: &WebhookRow,
        event: Option<EventRow>,
        now: time::OffsetDateTime,
    ) -> Result<(request::Prepared, String)> {
        let missing = || Error::Internal(format!("delivery {} has no body", delivery.id));
        let event = event.ok_or_else(missing)?;
        let body = match Format::parse(&delivery.format) {
            Some(Format::Legacy) => event.legacy_body,
            Some(Format::CloudEvents) => event.cloud_event_body,
            None => None,
        }
        .ok_or_else(missing)?;
        let prepared = request::prepare(
            webhook,
            &self.inner.keyring,
            &delivery.id,
            &body,
            &self.inner.settings.user_agent,
            now.unix_timestamp(),
        )?;
        Ok((prepared, body))
    }

    /// Records attempts in one transaction: many commits become one, which is what limits
    /// throughput on a database that syncs every commit to disk.
    async fn record(&self, recordings: &[Recording]) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let mut retry_soon = false;
        let mut recorded = Vec::with_capacity(recordings.len());
        for recording in recordings {
            let Recording {
                attempt,
                after,
                token,
                tenant,
                webhook_id,
                counts,
                verdict,
                finished_at,
            } = recording;
            if !deliveries::record_attempt(&mut tx, token, attempt, after).await? {
                tracing::info!(delivery_id = %attempt.delivery_id, "lease lost before the attempt was recorded");
                continue;
            }
            recorded.push((
                match verdict {
                    Verdict::Success { .. } => AttemptOutcome::Success,
                    Verdict::Retry { .. } => AttemptOutcome::Retry,
                    Verdict::Fail { .. } | Verdict::Gone { .. } => AttemptOutcome::Fail,
                },
                Duration::from_millis(u64::try_from(attempt.duration_ms).unwrap_or(0)),
            ));
            let disable = match verdict {
                Verdict::Gone { .. } => Some((
                    "The endpoint answered 410 Gone.".to_owned(),
                    DisabledReasonCode::EndpointGone,
                )),
                Verdict::Success { .. } if *counts => {
                    webhooks::reset_failures(&mut tx, webhook_id).await?;
                    None
                }
                Verdict::Retry { .. } | Verdict::Fail { .. } if *counts => {
                    let ended = matches!(verdict, Verdict::Fail { .. });
                    let (in_a_row, since) =
                        webhooks::note_failure(&mut tx, webhook_id, ended, *finished_at).await?;
                    self.threshold_reached(in_a_row, since, *finished_at)
                        .map(|reason| (reason, DisabledReasonCode::DeliveryFailureThreshold))
                }
                _ => None,
            };
            if let Some((reason, code)) = disable {
                if webhooks::disable(&mut tx, webhook_id, &reason, code.as_str(), *finished_at)
                    .await?
                {
                    deliveries::end_pending_of_disabled(&mut tx, tenant, WEBHOOK_DISABLED).await?;
                    tracing::warn!(%webhook_id, tenant_id = %tenant, reason = code.as_str(), "webhook disabled");
                }
            }
            // Other nodes are woken only for a retry due soon; the poll finds later ones.
            retry_soon |= after
                .next_attempt_at
                .is_some_and(|due| due <= finished_at + 1000);
        }
        if retry_soon {
            deliveries::notify_due(&mut tx, self.db().backend()).await?;
        }
        tx.commit().await?;
        for (outcome, duration) in recorded {
            self.inner.metrics.attempt(outcome, duration);
        }
        Ok(())
    }

    /// Records the workers' attempts in batches: whatever arrived while the last batch was
    /// being committed goes into the next one.
    async fn record_loop(self, mut queue: mpsc::UnboundedReceiver<Queued>) {
        while let Some(first) = queue.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_RECORD_BATCH {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let (recordings, written): (Vec<Recording>, Vec<_>) = batch.into_iter().unzip();
            if let Err(error) = self.record(&recordings).await {
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
            for done in written {
                let _ = done.send(());
            }
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

    async fn retention_loop(self) {
        loop {
            if let Err(error) = self.purge_expired().await {
                tracing::warn!(%error, "cannot purge old deliveries");
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }

    /// Wakes this node's claiming loop whenever another node commits due deliveries.
    async fn listen_loop(self, url: String) {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(error) = listener.listen(deliveries::WAKE_CHANNEL).await {
                        tracing::warn!(%error, "cannot listen for due deliveries");
                    } else {
                        while listener.recv().await.is_ok() {
                            self.wake();
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot connect to listen for due deliveries"),
            }
            // Polling covers the gap until the listener is back.
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }
}

/// Most attempts recorded in one transaction.
const MAX_RECORD_BATCH: usize = 256;

/// An attempt's result, to be written under its lease token.
#[derive(Debug, Clone)]
pub(super) struct Recording {
    attempt: AttemptRow,
    after: AfterAttempt,
    token: String,
    tenant: TenantId,
    webhook_id: String,
    /// Whether it counts toward the failure threshold (test deliveries do not).
    counts: bool,
    verdict: Verdict,
    finished_at: i64,
}

/// A recording waiting for the recorder, and how its worker learns it was written.
pub(super) type Queued = (Recording, oneshot::Sender<()>);

/// Hands a recording to the recorder and waits until it is written, so the worker's slot (and
/// the webhook's in-flight count) is freed only then.
async fn queue_recording(run: &Run, recording: Recording) {
    let (done, written) = oneshot::channel();
    if run.recordings.send((recording, done)).is_ok() {
        let _ = written.await;
    }
}

fn attempt_row(
    delivery_id: &str,
    number: u32,
    started_at: i64,
    duration: Duration,
    outcome: &Outcome,
) -> AttemptRow {
    let (status_code, error, headers, body) = match outcome {
        Outcome::Response {
            status,
            headers,
            body,
            ..
        } => (
            Some(i64::from(*status)),
            None,
            headers.clone(),
            body.clone(),
        ),
        Outcome::Failed { message } | Outcome::Refused { message } => {
            (None, Some(message.clone()), Vec::new(), String::new())
        }
    };
    AttemptRow {
        delivery_id: delivery_id.to_owned(),
        number: i64::from(number),
        started_at,
        duration_ms: i64::try_from(duration.as_millis()).unwrap_or(i64::MAX),
        status_code,
        error,
        response_headers: serde_json::to_string(&headers).unwrap_or_else(|_| "[]".into()),
        response_body: body,
    }
}
