//! A webhook's delivery history: list and get, resend (one synchronous
//! attempt stored as a new `manual` delivery) and test events. Whoever can see the webhook can
//! see and act on its deliveries.

use std::collections::HashMap;

use app::{
    accounts::Caller,
    deliveries::{
        Attempt, Delivery, DeliveryPage, DeliveryRequest, DeliveryResponse, DeliveryStatus, Trigger,
    },
    error::AppError,
};

use super::{
    examples,
    ingest::Written,
    payload::{EventRecord, Format},
    DeliveryEngine,
};
use crate::{
    db::{
        deliveries::{self, AttemptRow, DeliveryRow, ListQuery, SortColumn},
        events::{self, EventRow},
        keyset::SortValue,
        webhooks::WebhookRow,
        TenantId,
    },
    error::{Error, Result},
    paging::{self, PageStart},
    timestamps::rfc3339,
    webhooks::{access, visible_row},
};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// One list request: `limit`, `sort` (`status` or `triggeredAt`, default `-triggeredAt`),
/// cursors, and the `status` and `eventType` filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryListRequest {
    pub limit: u32,
    pub sort: SortColumn,
    pub descending: bool,
    pub start: PageStart,
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<String>,
}

impl Default for DeliveryListRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            sort: SortColumn::TriggeredAt,
            descending: true,
            start: PageStart::First,
            status: None,
            event_type: None,
        }
    }
}

impl DeliveryListRequest {
    /// Reads a list request from query parameters; an unknown or malformed one names itself.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let invalid = |name: &str, message: String| {
            Error::from(AppError::invalid(format!("/{name}"), message))
        };
        let mut request = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "limit" => {
                    request.limit = value
                        .parse()
                        .ok()
                        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                        .ok_or_else(|| {
                            invalid(
                                name,
                                format!(
                                    "limit is a number from 1 to {MAX_LIMIT} (default \
                                     {DEFAULT_LIMIT})."
                                ),
                            )
                        })?;
                }
                "sort" => {
                    let (descending, column) = match value.as_bytes().first() {
                        Some(b'-') => (true, &value[1..]),
                        Some(b'+' | b' ') => (false, &value[1..]),
                        _ => (false, value.as_str()),
                    };
                    request.sort = match column {
                        "status" => SortColumn::Status,
                        "triggeredAt" => SortColumn::TriggeredAt,
                        _ => {
                            return Err(invalid(
                                name,
                                "sort is status or triggeredAt, with an optional + or -.".into(),
                            ))
                        }
                    };
                    request.descending = descending;
                }
                "next" => request.start = PageStart::After(value.clone()),
                "prev" => request.start = PageStart::Before(value.clone()),
                "status" => {
                    request.status = Some(DeliveryStatus::parse(value).ok_or_else(|| {
                        invalid(name, "status is pending, success or fail.".into())
                    })?)
                }
                "eventType" => request.event_type = Some(value.clone()),
                _ => {
                    return Err(invalid(
                        name,
                        format!("{name} is not a parameter of this list."),
                    ))
                }
            }
        }
        Ok(request)
    }

    fn sort_text(&self) -> String {
        let column = match self.sort {
            SortColumn::Status => "status",
            SortColumn::TriggeredAt => "triggeredAt",
        };
        format!("{}{column}", if self.descending { "-" } else { "+" })
    }
}

impl DeliveryEngine {
    /// The webhook `webhook_id` if the caller can see it.
    async fn visible_webhook(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        webhook_id: &str,
    ) -> Result<WebhookRow> {
        access::require_webhooks_scope(caller)?;
        visible_row(conn, caller, webhook_id).await
    }

    /// One page of a webhook's deliveries (without their attempts).
    pub async fn list(
        &self,
        caller: &Caller,
        webhook_id: &str,
        request: &DeliveryListRequest,
    ) -> Result<DeliveryPage> {
        let mut conn = self.db().connection().await?;
        self.visible_webhook(&mut conn, caller, webhook_id).await?;
        let sort = request.sort;
        let sort_text = request.sort_text();
        let (after, backwards) = paging::scan_from(&request.start, &sort_text, |value| {
            matches!(
                (sort, value),
                (SortColumn::Status, SortValue::Text(_))
                    | (SortColumn::TriggeredAt, SortValue::Int(_))
            )
        })?;
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let query = ListQuery {
            sort,
            descending: request.descending,
            after,
            backwards,
            limit: i64::from(limit) + 1,
            status: request.status.map(|status| status.as_str().to_owned()),
            event_type: request.event_type.clone(),
        };
        let mut rows =
            deliveries::list(&mut conn, &TenantId::of(caller), webhook_id, &query).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        let mut last: HashMap<String, AttemptRow> = deliveries::last_attempts_of(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|attempt| (attempt.delivery_id.clone(), attempt))
            .collect();
        let mut event_refs: Vec<&str> = rows.iter().map(|row| row.event_ref.as_str()).collect();
        event_refs.sort_unstable();
        event_refs.dedup();
        let events: HashMap<String, EventRow> = events::get_many(&mut conn, &event_refs)
            .await?
            .into_iter()
            .map(|event| (event.id.clone(), event))
            .collect();
        let (next, prev) = paging::neighbours(&request.start, &rows, more, |row| {
            paging::encode(&sort_text, sort.value_of(row), &row.id)
        });
        let data = rows
            .iter()
            .map(|row| {
                let event = events
                    .get(&row.event_ref)
                    .ok_or_else(|| missing_event(row))?;
                to_delivery(row, event, last.remove(&row.id).as_ref(), None)
            })
            .collect::<Result<_>>()?;
        Ok(DeliveryPage { data, next, prev })
    }

    /// One delivery with every attempt.
    pub async fn get(&self, caller: &Caller, webhook_id: &str, id: &str) -> Result<Delivery> {
        let mut conn = self.db().connection().await?;
        self.visible_webhook(&mut conn, caller, webhook_id).await?;
        self.load(&mut conn, &TenantId::of(caller), webhook_id, id)
            .await
    }

    async fn load(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant: &TenantId,
        webhook_id: &str,
        id: &str,
    ) -> Result<Delivery> {
        let row = deliveries::get(conn, tenant, webhook_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let event = events::get(conn, &row.event_ref)
            .await?
            .ok_or_else(|| missing_event(&row))?;
        let attempts = deliveries::attempts_of(conn, id).await?;
        to_delivery(&row, &event, attempts.last(), Some(&attempts))
    }

    /// Sends a delivery's body again, once, now, with the webhook's current URL, headers and
    /// secret, as a new `manual` delivery — returned whatever its outcome.
    pub async fn resend(&self, caller: &Caller, webhook_id: &str, id: &str) -> Result<Delivery> {
        let tenant = TenantId::of(caller);
        let now = self.now_millis();
        let token = uuid::Uuid::new_v4().to_string();
        let new_id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.db().begin().await?;
        let webhook = self.visible_webhook(&mut tx, caller, webhook_id).await?;
        let original = deliveries::get(&mut tx, &tenant, webhook_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        require_enabled(&webhook)?;
        let lease = self.lease_millis();
        deliveries::insert(
            &mut tx,
            &DeliveryRow {
                id: new_id.clone(),
                trigger_kind: Trigger::Manual.as_str().to_owned(),
                status: DeliveryStatus::Pending.as_str().to_owned(),
                status_message: "being resent".into(),
                triggered_at: now,
                // Held by this request from the start, so no worker attempts it as well.
                next_attempt_at: Some(now.saturating_add(lease)),
                lease_token: Some(token.clone()),
                attempt_count: 0,
                request_url: webhook.url.clone(),
                ..original
            },
            lease,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(delivery_id = %new_id, resent = id, webhook_id, by = caller.user_id(), "delivery resent");
        self.attempt(&new_id, &token).await?;
        let mut conn = self.db().connection().await?;
        self.load(&mut conn, &tenant, webhook_id, &new_id).await
    }

    /// Queues the example event of `event_type` to this webhook only (trigger `test`); the new
    /// delivery's id.
    pub async fn send_test(
        &self,
        caller: &Caller,
        webhook_id: &str,
        event_type: &str,
    ) -> Result<String> {
        let tenant = TenantId::of(caller);
        let now = self.now_millis();
        let mut tx = self.db().begin().await?;
        let webhook = self.visible_webhook(&mut tx, caller, webhook_id).await?;
        let subscribed = crate::db::webhooks::event_types_of(&mut tx, &tenant, &[webhook_id])
            .await?
            .remove(webhook_id)
            .unwrap_or_default();
        if !subscribed.iter().any(|name| name == event_type) {
            return Err(AppError::invalid(
                "/eventType",
                format!(
                    "This webhook does not subscribe to {event_type}: choose one of {}.",
                    subscribed.join(", ")
                ),
            )
            .into());
        }
        require_enabled(&webhook)?;
        let data = examples::example_data(&mut tx, &tenant, event_type)
            .await?
            .ok_or_else(|| {
                AppError::invalid("/eventType", format!("{event_type} has no example event."))
            })?;
        let record = EventRecord {
            id: uuid::Uuid::new_v4().to_string(),
            source: "urn:herald:test-event".into(),
            event_type: event_type.to_owned(),
            time: rfc3339(now),
            data_content_type: "application/json".into(),
            tenant_id: tenant.as_str().to_owned(),
            user_id: None,
            owner_id: Some(webhook.owner_id.clone()),
            space_id: None,
            top_level_resource_id: None,
            data: Some(data),
        };
        let write = self.test_event_write(&record, &webhook, now)?;
        let id = match write.write(&mut tx, self.lease_millis()).await? {
            Written::New { deliveries } => deliveries.into_iter().next(),
            Written::Taken { .. } => None,
        }
        .ok_or_else(|| Error::Internal("a test event made no delivery".into()))?;
        deliveries::notify_due(&mut tx, self.db().backend()).await?;
        tx.commit().await?;
        self.wake();
        Ok(id)
    }
}

fn require_enabled(webhook: &WebhookRow) -> Result<()> {
    if webhook.enabled == 0 {
        return Err(AppError::Conflict(
            "This webhook is disabled: enable the webhook first.".into(),
        )
        .into());
    }
    Ok(())
}

fn missing_event(row: &DeliveryRow) -> Error {
    Error::Internal(format!("delivery {} has no event", row.id))
}

/// The delivery as clients see it; `attempts` only when all of them were read.
fn to_delivery(
    row: &DeliveryRow,
    event: &EventRow,
    last: Option<&AttemptRow>,
    attempts: Option<&[AttemptRow]>,
) -> Result<Delivery> {
    let corrupt =
        |what: &str| Error::Internal(format!("delivery {} has an unreadable {what}", row.id));
    let body = match Format::parse(&row.format) {
        Some(Format::Legacy) => event.legacy_body.clone(),
        Some(Format::CloudEvents) => event.cloud_event_body.clone(),
        None => None,
    }
    .ok_or_else(|| corrupt("body"))?;
    let status = DeliveryStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let to_attempt = |attempt: &AttemptRow| -> Result<Attempt> {
        Ok(Attempt {
            number: u32::try_from(attempt.number).map_err(|_| corrupt("attempt"))?,
            started_at: rfc3339(attempt.started_at),
            duration_ms: u64::try_from(attempt.duration_ms).unwrap_or(0),
            status_code: attempt
                .status_code
                .and_then(|code| u16::try_from(code).ok()),
            error: attempt.error.clone(),
            response_headers: serde_json::from_str(&attempt.response_headers)
                .map_err(|_| corrupt("response headers"))?,
            response_body: attempt.response_body.clone(),
        })
    };
    let response = last
        .map(to_attempt)
        .transpose()?
        .filter(|attempt| attempt.status_code.is_some())
        .map(|attempt| DeliveryResponse {
            status_code: attempt.status_code,
            headers: attempt.response_headers,
            body: attempt.response_body,
            duration_ms: attempt.duration_ms,
        });
    Ok(Delivery {
        id: row.id.clone(),
        webhook_id: row.webhook_id.clone(),
        event_id: event.event_id.clone(),
        event_type: row.event_type.clone(),
        status,
        status_message: row.status_message.clone(),
        trigger: Trigger::parse(&row.trigger_kind).ok_or_else(|| corrupt("trigger"))?,
        triggered_at: rfc3339(row.triggered_at),
        next_attempt_at: row
            .next_attempt_at
            .filter(|_| status == DeliveryStatus::Pending)
            .map(rfc3339),
        attempt_count: u32::try_from(row.attempt_count).unwrap_or(0),
        request: DeliveryRequest {
            url: row.request_url.clone(),
            headers: serde_json::from_str(&row.request_headers)
                .map_err(|_| corrupt("request headers"))?,
            body,
        },
        response,
        attempts: attempts
            .map(|attempts| attempts.iter().map(to_attempt).collect::<Result<_>>())
            .transpose()?,
    })
}
