//! `POST /api/v1/events`: the events and one pending delivery per matching webhook are
//! committed before the publisher hears 202. A repeat of an accepted event (same tenant, source
//! and id, same body) is accepted again with no new deliveries; the same key with another body
//! is a conflict.
//!
//! Everything that costs CPU — parsing, the catalogue check, matching, building the request
//! bodies — happens here, before the write; the write itself is handed to the group commit,
//! which writes concurrent requests together (see `group_commit`).

use std::{collections::HashMap, sync::Arc, time::Instant};

use app::{
    accounts::{Caller, Scope},
    deliveries::{DeliveryStatus, Trigger},
    error::AppError,
};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{
    event::{self, Published},
    group_commit::RequestWrite,
    matching::{Attributes, Subscriber},
    payload::{self, EventRecord, Format},
    request, DeliveryEngine,
};
use crate::{
    accounts::require_scope,
    db::{
        deliveries::{self, DeliveryRow},
        events::{self, EventRow},
        webhooks::{self, WebhookRow},
        TenantId,
    },
    error::{Error, Result},
    metrics::Stage,
    timestamps::rfc3339,
    webhooks::catalogue,
};

/// One accepted event: its id and how many deliveries it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub id: String,
    pub deliveries: usize,
}

/// Why events were not accepted: every problem of the request, or one service error.
#[derive(Debug)]
pub enum IngestError {
    Invalid(Vec<AppError>),
    Failed(Error),
}

impl From<Error> for IngestError {
    fn from(error: Error) -> Self {
        IngestError::Failed(error)
    }
}

impl From<AppError> for IngestError {
    fn from(error: AppError) -> Self {
        IngestError::Failed(error.into())
    }
}

impl From<sqlx::Error> for IngestError {
    fn from(error: sqlx::Error) -> Self {
        IngestError::Failed(error.into())
    }
}

impl DeliveryEngine {
    /// Accepts a request body of one event or a batch, all or nothing.
    pub async fn ingest(
        &self,
        caller: &Caller,
        body: &[u8],
    ) -> std::result::Result<Vec<Accepted>, IngestError> {
        let started = Instant::now();
        require_scope(caller, Scope::EventsPublish)?;
        let published = event::parse_body(body).map_err(IngestError::Invalid)?;
        let write = self.plan(caller, published).await?;
        let accepted = self.group_commit(write).await;
        self.inner
            .metrics
            .stage(Stage::IngestRequest, started.elapsed());
        let accepted = accepted?;
        let made: usize = accepted.iter().map(|event| event.deliveries).sum();
        self.inner.metrics.events_accepted(accepted.len());
        tracing::info!(tenant_id = %TenantId::of(caller), events = accepted.len(), deliveries = made, "events accepted");
        Ok(accepted)
    }

    /// What a request will write: each event with a delivery to every subscriber it matches.
    /// Reads only; the catalogue and subscribers are read once per request.
    async fn plan(
        &self,
        caller: &Caller,
        published: Published,
    ) -> std::result::Result<RequestWrite, IngestError> {
        let tenant = TenantId::of(caller);
        let now = self.now_millis();
        let received_at = rfc3339(now);
        // Read before the subscribers: a webhook changed after it is read again before an
        // attempt is sent.
        let generation = self.db().webhook_changes().current();
        let mut conn = self.db().connection().await?;
        let known: Vec<String> = catalogue::of_tenant(&mut conn, &tenant)
            .await?
            .into_iter()
            .map(|event_type| event_type.name)
            .collect();
        let unknown: Vec<AppError> = published
            .events
            .iter()
            .enumerate()
            .filter(|(_, event)| !known.contains(&event.event_type))
            .map(|(index, event)| {
                AppError::invalid(
                    published.pointer(index, "type"),
                    format!(
                        "{} is not an event type of this tenant's catalogue.",
                        event.event_type
                    ),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(IngestError::Invalid(unknown));
        }

        let mut subscribers: HashMap<String, Vec<Subscriber>> = HashMap::new();
        let mut shown_headers: HashMap<String, String> = HashMap::new();
        let mut events = Vec::with_capacity(published.events.len());
        for event in published.events {
            if !subscribers.contains_key(&event.event_type) {
                let found = webhooks::enabled_subscribers(&mut conn, &tenant, &event.event_type)
                    .await?
                    .into_iter()
                    .map(|(webhook, external_id)| Subscriber::new(webhook, external_id))
                    .collect();
                subscribers.insert(event.event_type.clone(), found);
            }
            let fingerprint = event.fingerprint.clone();
            let record = event.into_record(tenant.as_str(), &received_at);
            let attributes = Attributes::of(&record);
            let matched: Vec<&Subscriber> = subscribers[&record.event_type]
                .iter()
                .filter(|subscriber| subscriber.matches(&attributes))
                .collect();
            for subscriber in &matched {
                let webhook = &subscriber.webhook;
                if !shown_headers.contains_key(&webhook.id) {
                    let planned = request::planned_headers(webhook, self.user_agent())?;
                    shown_headers.insert(webhook.id.clone(), request::headers_json(&planned));
                }
            }
            let targets: Vec<Target<'_>> = matched
                .iter()
                .map(|subscriber| Target {
                    webhook: &subscriber.webhook,
                    shown_headers: &shown_headers[&subscriber.webhook.id],
                })
                .collect();
            if attributes.data_parsed() {
                self.inner.metrics.event_data_parsed();
            }
            events.push(EventWrite::new(
                &record,
                &fingerprint,
                &targets,
                Trigger::Automatic,
                now,
            ));
        }
        Ok(RequestWrite {
            is_batch: published.is_batch,
            events,
            generation,
        })
    }

    fn user_agent(&self) -> &str {
        &self.inner.settings.user_agent
    }

    /// The write of a test event of `record` to `webhook` (one delivery).
    pub(super) fn test_event_write(
        &self,
        record: &EventRecord,
        webhook: &WebhookRow,
        now: i64,
    ) -> Result<EventWrite> {
        let shown = request::headers_json(&request::planned_headers(webhook, self.user_agent())?);
        let webhook = Arc::new(webhook.clone());
        let target = Target {
            webhook: &webhook,
            shown_headers: &shown,
        };
        Ok(EventWrite::new(
            record,
            "test",
            &[target],
            Trigger::Test,
            now,
        ))
    }
}

/// A webhook an event goes to, and the headers its deliveries show before their first attempt.
struct Target<'a> {
    webhook: &'a Arc<WebhookRow>,
    shown_headers: &'a str,
}

/// One event as it is written: its row and one pending delivery per target.
#[derive(Debug)]
pub(super) struct EventWrite {
    pub event: Arc<EventRow>,
    pub deliveries: Vec<DeliveryRow>,
    /// The webhook of each delivery, as the plan read it.
    pub webhooks: Vec<Arc<WebhookRow>>,
}

/// What writing an event did.
pub(super) enum Written {
    /// Stored, with the deliveries whose webhook was still enabled.
    New { deliveries: Vec<String> },
    /// The key was taken: by this body (a repeat) or another one (a conflict).
    Taken { same_body: bool },
}

impl EventWrite {
    fn new(
        record: &EventRecord,
        fingerprint: &str,
        targets: &[Target<'_>],
        trigger: Trigger,
        now: i64,
    ) -> Self {
        let format_of = |webhook: &WebhookRow| {
            if webhook.enable_cloud_event_delivery != 0 {
                Format::CloudEvents
            } else {
                Format::Legacy
            }
        };
        let body_if_needed = |format| {
            targets
                .iter()
                .any(|target| format_of(target.webhook) == format)
                .then(|| payload::body(record, format))
        };
        let event = EventRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: record.tenant_id.clone(),
            source: record.source.clone(),
            event_id: record.id.clone(),
            event_type: record.event_type.clone(),
            fingerprint: fingerprint.to_owned(),
            legacy_body: body_if_needed(Format::Legacy),
            cloud_event_body: body_if_needed(Format::CloudEvents),
            received_at: now,
        };
        let deliveries: Vec<DeliveryRow> = targets
            .iter()
            .map(|target| DeliveryRow {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id: record.tenant_id.clone(),
                webhook_id: target.webhook.id.clone(),
                event_ref: event.id.clone(),
                event_type: record.event_type.clone(),
                format: format_of(target.webhook).as_str().to_owned(),
                status: DeliveryStatus::Pending.as_str().to_owned(),
                status_message: "waiting for the first attempt".into(),
                trigger_kind: trigger.as_str().to_owned(),
                triggered_at: now,
                next_attempt_at: Some(now),
                lease_token: None,
                attempt_count: 0,
                request_url: target.webhook.url.clone(),
                request_headers: target.shown_headers.to_owned(),
            })
            .collect();
        Self {
            event: Arc::new(event),
            deliveries,
            webhooks: targets
                .iter()
                .map(|target| target.webhook.clone())
                .collect(),
        }
    }

    /// The publisher's id of the event.
    pub(super) fn event_id(&self) -> &str {
        &self.event.event_id
    }

    pub(super) fn source(&self) -> &str {
        &self.event.source
    }

    /// Writes the event, unless its key is taken, with a delivery to each target that is still
    /// there and enabled (it may have changed since the plan was made); a delivery given a
    /// lease token is leased for `lease_ms`.
    pub(super) async fn write(&self, conn: &mut AnyConnection, lease_ms: i64) -> Result<Written> {
        if !events::insert_if_new(conn, &self.event).await? {
            let stored = events::fingerprint_of(
                conn,
                &TenantId::from_stored(self.event.tenant_id.clone()),
                &self.event.source,
                &self.event.event_id,
            )
            .await?
            .ok_or_else(|| {
                Error::Internal(format!(
                    "event {} of {} was neither stored nor found",
                    self.event.event_id, self.event.source
                ))
            })?;
            return Ok(Written::Taken {
                same_body: stored == self.event.fingerprint,
            });
        }
        let mut made = Vec::with_capacity(self.deliveries.len());
        for delivery in &self.deliveries {
            if deliveries::insert_for_enabled_webhook(conn, delivery, lease_ms).await? {
                made.push(delivery.id.clone());
            }
        }
        Ok(Written::New { deliveries: made })
    }
}
