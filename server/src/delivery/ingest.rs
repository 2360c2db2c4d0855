//! `POST /api/v1/events` (SPEC §4.2): the events and one pending delivery per matching webhook
//! are committed in one transaction before the publisher hears 202. A repeat of an accepted
//! event (same tenant, source and id, same body) is accepted again with no new deliveries; the
//! same key with another body is a conflict.

use std::collections::{HashMap, HashSet};

use app::{
    accounts::{Caller, Scope},
    deliveries::{DeliveryStatus, Trigger},
    error::AppError,
};
use serde::Serialize;

use super::{
    event::{self, Published},
    matching,
    payload::{self, EventRecord, Format},
    request, DeliveryEngine,
};
use crate::{
    accounts::require_scope,
    db::{
        deliveries::{self, DeliveryRow},
        events::{self, EventRow},
        webhooks::{self, WebhookRow},
        Backend, TenantId,
    },
    error::{is_unique_violation, Error, Result},
    timestamps::rfc3339,
    webhooks::catalogue,
};

/// The channel PostgreSQL nodes wake each other on when deliveries are due.
pub const WAKE_CHANNEL: &str = "herald_deliveries";

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
        require_scope(caller, Scope::EventsPublish)?;
        let published = event::parse_body(body).map_err(IngestError::Invalid)?;
        // Two publishers sending the same new event at once: one commits, the other's insert
        // breaks the unique key; run again, it then finds the event and answers as a repeat.
        match self.ingest_once(caller, &published).await {
            Err(IngestError::Failed(error)) if is_unique_violation(&error) => {
                self.ingest_once(caller, &published).await
            }
            other => other,
        }
    }

    async fn ingest_once(
        &self,
        caller: &Caller,
        published: &Published,
    ) -> std::result::Result<Vec<Accepted>, IngestError> {
        let tenant = TenantId::of(caller);
        let now = self.now_millis();
        let received_at = rfc3339(now);
        let mut tx = self.db().begin().await?;
        let known: HashSet<String> = catalogue::of_tenant(&mut tx, &tenant)
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

        let mut subscribers: HashMap<String, Vec<(WebhookRow, Option<String>)>> = HashMap::new();
        let mut accepted = Vec::with_capacity(published.events.len());
        let mut made = 0;
        // Earlier events of this request, by key: a batch may repeat one of its own events.
        let mut in_request: HashMap<(&str, &str), &str> = HashMap::new();
        for (index, event) in published.events.iter().enumerate() {
            let key = (event.source.as_str(), event.id.as_str());
            let earlier = match in_request.get(&key) {
                Some(fingerprint) => Some((*fingerprint).to_owned()),
                None => events::find_by_key(&mut tx, &tenant, &event.source, &event.id)
                    .await?
                    .map(|row| row.fingerprint),
            };
            if let Some(fingerprint) = earlier {
                if fingerprint != event.fingerprint {
                    let which = if published.is_batch {
                        format!("Event {index}")
                    } else {
                        "This event".to_owned()
                    };
                    return Err(AppError::Conflict(format!(
                        "{which} (source {}, id {}) was accepted before with a different body: \
                         give a changed event a new id.",
                        event.source, event.id
                    ))
                    .into());
                }
                accepted.push(Accepted {
                    id: event.id.clone(),
                    deliveries: 0,
                });
                continue;
            }
            in_request.insert(key, &event.fingerprint);
            let record = event.clone().into_record(tenant.as_str(), &received_at);
            if !subscribers.contains_key(&event.event_type) {
                let found =
                    webhooks::enabled_subscribers(&mut tx, &tenant, &event.event_type).await?;
                subscribers.insert(event.event_type.clone(), found);
            }
            let targets: Vec<&WebhookRow> = subscribers[&event.event_type]
                .iter()
                .filter(|(webhook, external_id)| {
                    matching::matches(&record, webhook, external_id.as_deref())
                })
                .map(|(webhook, _)| webhook)
                .collect();
            let made_now = self
                .store_event(
                    &mut tx,
                    &record,
                    &event.fingerprint,
                    &targets,
                    Trigger::Automatic,
                    now,
                )
                .await?
                .len();
            made += made_now;
            accepted.push(Accepted {
                id: event.id.clone(),
                deliveries: made_now,
            });
        }
        if made > 0 {
            self.notify_other_nodes(&mut tx).await?;
        }
        tx.commit().await?;
        if made > 0 {
            self.wake();
        }
        self.inner.metrics.events_accepted(accepted.len());
        tracing::info!(tenant_id = %tenant, events = accepted.len(), deliveries = made, "events accepted");
        Ok(accepted)
    }

    /// Stores an event with one pending delivery to each of `targets`; their ids.
    pub(super) async fn store_event(
        &self,
        conn: &mut sqlx::AnyConnection,
        record: &EventRecord,
        fingerprint: &str,
        targets: &[&WebhookRow],
        trigger: Trigger,
        now: i64,
    ) -> Result<Vec<String>> {
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
                .any(|webhook| format_of(webhook) == format)
                .then(|| payload::body(record, format))
        };
        let row = EventRow {
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
        events::insert(conn, &row).await?;
        let mut ids = Vec::with_capacity(targets.len());
        for webhook in targets {
            let format = format_of(webhook);
            let id = uuid::Uuid::new_v4().to_string();
            let shown = request::planned_headers(webhook, &self.inner.settings.user_agent)?;
            deliveries::insert(
                conn,
                &DeliveryRow {
                    id: id.clone(),
                    tenant_id: record.tenant_id.clone(),
                    webhook_id: webhook.id.clone(),
                    event_ref: row.id.clone(),
                    event_type: record.event_type.clone(),
                    format: format.as_str().to_owned(),
                    status: DeliveryStatus::Pending.as_str().to_owned(),
                    status_message: "waiting for the first attempt".into(),
                    trigger_kind: trigger.as_str().to_owned(),
                    triggered_at: now,
                    next_attempt_at: Some(now),
                    lease_token: None,
                    attempt_count: 0,
                    request_url: webhook.url.clone(),
                    request_headers: request::headers_json(&shown),
                },
            )
            .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// On PostgreSQL, tells every node's workers (on commit) that deliveries are due.
    pub(super) async fn notify_other_nodes(&self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        if self.db().backend() == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(WAKE_CHANNEL)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
