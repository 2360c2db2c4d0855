//! One attempt of a delivery this process holds under a lease: the request made from what was
//! loaded with the claim (no database read per attempt), the exchange, and the verdict that
//! becomes a [`Recording`]. Nothing is written here; the recorder writes the result.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use app::deliveries::{DeliveryStatus, Trigger};

use super::{
    concurrency::Signal,
    payload::Format,
    recorder::Recording,
    request,
    schedule::{self, Verdict},
    send::Outcome,
    DeliveryEngine,
};
use crate::{
    db::{
        deliveries::{self, AfterAttempt, AttemptRow, DeliveryRow},
        events::{self, EventRow},
        webhooks::{self, WebhookRow},
        TenantId,
    },
    error::{Error, Result},
    metrics::Stage,
    timestamps::to_millis,
};

/// The status message of deliveries ended because their webhook was disabled.
pub const WEBHOOK_DISABLED: &str = "webhook disabled";

/// A delivery held under a lease, with what its attempt needs.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub delivery: DeliveryRow,
    pub webhook: Arc<WebhookRow>,
    /// Its event with the request bodies; `None` when it is gone.
    pub event: Option<Arc<EventRow>>,
    pub token: Arc<str>,
    /// When it became due, in epoch milliseconds of the engine's clock.
    pub due: i64,
    /// When this process took the lease, on its own monotonic clock.
    pub leased_at: Instant,
    /// The webhook changes `webhook` was read after (see `db::webhook_changes`).
    pub generation: u64,
}

/// What an attempt came to.
pub(super) struct Made {
    /// What to write; `None` when nothing was sent (the webhook was disabled meanwhile).
    pub recording: Option<Recording>,
    /// What the exchange says about the endpoint's capacity.
    pub signal: Signal,
    /// How long the exchange took, if a request was made.
    pub took: Option<Duration>,
}

impl Made {
    /// Nothing was sent.
    pub fn nothing() -> Self {
        Self {
            recording: None,
            signal: Signal::Neutral,
            took: None,
        }
    }
}

impl DeliveryEngine {
    /// The job of a delivery this process holds under `token`, read from the database (a
    /// resend); `None` when it is gone, ended or taken over.
    async fn load_job(&self, delivery_id: &str, token: &str) -> Result<Option<Job>> {
        let generation = self.db().webhook_changes().current();
        let mut conn = self.db().connection().await?;
        let Some(delivery) = deliveries::get_by_id(&mut conn, delivery_id)
            .await?
            .filter(|delivery| delivery.lease_token.as_deref() == Some(token))
        else {
            return Ok(None);
        };
        let Some(webhook) = webhooks::get_by_id(&mut conn, &delivery.webhook_id).await? else {
            return Ok(None);
        };
        let event = events::get(&mut conn, &delivery.event_ref).await?;
        Ok(Some(Job {
            due: delivery.triggered_at,
            delivery,
            webhook: Arc::new(webhook),
            event: event.map(Arc::new),
            token: token.into(),
            leased_at: Instant::now(),
            generation,
        }))
    }

    /// `job` with its webhook read again if the tenant's webhooks changed since it was
    /// loaded; `None` when the webhook is gone (its deliveries went with it).
    pub(super) async fn refreshed(&self, mut job: Job) -> Result<Option<Job>> {
        let changes = self.db().webhook_changes();
        if !changes.changed_since(&job.delivery.tenant_id, job.generation) {
            return Ok(Some(job));
        }
        job.generation = changes.current();
        let mut conn = self.db().connection().await?;
        let Some(webhook) = webhooks::get_by_id(&mut conn, &job.delivery.webhook_id).await? else {
            return Ok(None);
        };
        job.webhook = Arc::new(webhook);
        Ok(Some(job))
    }

    /// Makes one attempt of a delivery this process holds under `token`, and records it at
    /// once (a resend, while the person waits).
    pub(super) async fn attempt(&self, delivery_id: &str, token: &str) -> Result<()> {
        let Some(job) = self.load_job(delivery_id, token).await? else {
            return Ok(());
        };
        match self.make_attempt(&job).await?.recording {
            Some(recording) => self.record(std::slice::from_ref(&recording)).await,
            None => Ok(()),
        }
    }

    /// Makes the attempt of `job`: sends it unless its webhook was disabled, and judges the
    /// outcome.
    pub(super) async fn make_attempt(&self, job: &Job) -> Result<Made> {
        let Job {
            delivery,
            webhook,
            token,
            ..
        } = job;
        if webhook.enabled == 0 {
            let mut conn = self.db().connection().await?;
            deliveries::end_claimed(&mut conn, &delivery.id, token, WEBHOOK_DISABLED).await?;
            return Ok(Made::nothing());
        }
        let preparing = Instant::now();
        let now = self.inner.clock.now();
        let prepared = self.prepare(job, now);
        let metrics = &self.inner.metrics;
        metrics.stage(Stage::Prepare, preparing.elapsed());
        let started = Instant::now();
        // A request that cannot be made (its event is gone, a secret cannot be opened) is a
        // failed attempt like any other: retried, and in the end a visible `fail`.
        let (outcome, url, shown) = match prepared {
            Ok((prepared, body)) => {
                let outcome = self.inner.sender.send(&prepared, body, now).await;
                metrics.stage(Stage::Exchange, started.elapsed());
                (outcome, prepared.url.clone(), prepared.shown_json())
            }
            Err(error) => {
                tracing::error!(delivery_id = %delivery.id, %error, "cannot prepare a delivery request");
                let shown = request::planned_headers(webhook, &self.inner.settings.user_agent)
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
        let signal = Signal::of(&outcome, duration, self.slow_exchange());
        Ok(Made {
            recording: Some(self.judge(job, now, duration, &outcome, url, shown)),
            signal,
            took: Some(duration),
        })
    }

    /// An exchange from this long on counts as slow: the endpoint gets fewer requests at once.
    fn slow_exchange(&self) -> Duration {
        self.inner.settings.request_timeout / 4
    }

    /// The request of an attempt, and the body it sends.
    fn prepare<'a>(
        &self,
        job: &'a Job,
        now: time::OffsetDateTime,
    ) -> Result<(request::Prepared, &'a str)> {
        let delivery = &job.delivery;
        let missing = || Error::Internal(format!("delivery {} has no body", delivery.id));
        let event = job.event.as_deref().ok_or_else(missing)?;
        let body = match Format::parse(&delivery.format) {
            Some(Format::Legacy) => event.legacy_body.as_deref(),
            Some(Format::CloudEvents) => event.cloud_event_body.as_deref(),
            None => None,
        }
        .ok_or_else(missing)?;
        let prepared = request::prepare(
            &job.webhook,
            &self.inner.keyring,
            &delivery.id,
            body,
            &self.inner.settings.user_agent,
            now.unix_timestamp(),
        )?;
        Ok((prepared, body))
    }

    /// What the attempt of `job` started at `now`, which took `duration` and came to
    /// `outcome`, leaves to record.
    fn judge(
        &self,
        job: &Job,
        now: time::OffsetDateTime,
        duration: Duration,
        outcome: &Outcome,
        url: String,
        shown: String,
    ) -> Recording {
        let delivery = &job.delivery;
        let trigger = Trigger::parse(&delivery.trigger_kind).unwrap_or(Trigger::Automatic);
        let number = u32::try_from(delivery.attempt_count).unwrap_or(u32::MAX - 1) + 1;
        // A resend is one attempt, made while the person waits.
        let schedule: &[Duration] = match trigger {
            Trigger::Manual => &[],
            Trigger::Automatic | Trigger::Test => &self.inner.settings.retry_schedule,
        };
        let verdict = schedule::verdict(outcome, number, schedule, rand::random::<f64>());
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
        Recording {
            attempt: attempt_row(&delivery.id, number, to_millis(now), duration, outcome),
            after: AfterAttempt {
                status: status.as_str().to_owned(),
                status_message: message.clone(),
                next_attempt_at,
                request_url: url,
                request_headers: shown,
            },
            token: job.token.to_string(),
            tenant: TenantId::from_stored(delivery.tenant_id.clone()),
            webhook_id: delivery.webhook_id.clone(),
            counts: trigger != Trigger::Test,
            verdict,
            finished_at,
        }
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
