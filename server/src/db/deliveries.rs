//! The `deliveries` and `delivery_attempts` tables, and the claims workers make on due
//! deliveries (the one place where SQLite and PostgreSQL take different SQL).

use std::collections::HashSet;

use sqlx::AnyConnection;

use super::{
    keyset::{order_and_after, Binds, SortValue},
    Backend, TenantId,
};
use crate::error::Result;

const COLUMNS: &str = "id, tenant_id, webhook_id, event_ref, event_type, format, status, \
     status_message, trigger_kind, triggered_at, next_attempt_at, lease_token, attempt_count, \
     request_url, request_headers";

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub tenant_id: String,
    pub webhook_id: String,
    /// Herald's key of the event (`events.id`).
    pub event_ref: String,
    pub event_type: String,
    pub format: String,
    pub status: String,
    pub status_message: String,
    pub trigger_kind: String,
    pub triggered_at: i64,
    pub next_attempt_at: Option<i64>,
    pub lease_token: Option<String>,
    pub attempt_count: i64,
    pub request_url: String,
    /// JSON object name → value (encrypted values omitted).
    pub request_headers: String,
}

/// One attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub number: i64,
    pub started_at: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// JSON array of `[name, value]` pairs.
    pub response_headers: String,
    pub response_body: String,
}

const ATTEMPT_COLUMNS: &str = "delivery_id, number, started_at, duration_ms, status_code, \
     error, response_headers, response_body";

/// Stores a delivery; one with a lease token is leased for `lease_ms` from now on the
/// database's clock.
pub async fn insert(conn: &mut AnyConnection, row: &DeliveryRow, lease_ms: i64) -> Result<()> {
    insert_selected(conn, row, lease_ms, |values| format!("VALUES ({values})")).await?;
    Ok(())
}

/// Stores a delivery (leased as [`insert`] does) if its webhook still exists and is enabled;
/// whether it did. An event accepted while its subscriber is being deleted or disabled makes
/// no delivery to it.
pub async fn insert_for_enabled_webhook(
    conn: &mut AnyConnection,
    row: &DeliveryRow,
    lease_ms: i64,
) -> Result<bool> {
    insert_selected(conn, row, lease_ms, |values| {
        format!(
            "SELECT {values} WHERE EXISTS \
             (SELECT 1 FROM webhooks WHERE id = $3 AND enabled = 1)"
        )
    })
    .await
}

/// `INSERT INTO deliveries (…) <source>`, `source` made from the row's values (`$1`…`$15` and
/// the lease's end); whether a row was stored.
async fn insert_selected(
    conn: &mut AnyConnection,
    row: &DeliveryRow,
    lease_ms: i64,
    source: impl FnOnce(&str) -> String,
) -> Result<bool> {
    let now = Backend::of(conn).now_millis_sql();
    let values = (1..=15)
        .map(|n| format!("${n}"))
        .chain([format!(
            "CASE WHEN $12 IS NULL THEN NULL ELSE {now} + $16 END"
        )])
        .collect::<Vec<_>>()
        .join(", ");
    let done = sqlx::query(&format!(
        "INSERT INTO deliveries ({COLUMNS}, lease_expires_at) {}",
        source(&values)
    ))
    .bind(&row.id)
    .bind(&row.tenant_id)
    .bind(&row.webhook_id)
    .bind(&row.event_ref)
    .bind(&row.event_type)
    .bind(&row.format)
    .bind(&row.status)
    .bind(&row.status_message)
    .bind(&row.trigger_kind)
    .bind(row.triggered_at)
    .bind(row.next_attempt_at)
    .bind(&row.lease_token)
    .bind(row.attempt_count)
    .bind(&row.request_url)
    .bind(&row.request_headers)
    .bind(lease_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The channel PostgreSQL nodes wake each other on when deliveries are due.
pub const WAKE_CHANNEL: &str = "herald_deliveries";

/// On PostgreSQL, tells every node's workers, when `conn`'s transaction commits, that
/// deliveries are due; SQLite has one process, woken directly.
pub async fn notify_due(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKE_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A delivery of the tenant's webhook.
pub async fn get(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    webhook_id: &str,
    id: &str,
) -> Result<Option<DeliveryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM deliveries WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3"
    ))
    .bind(tenant.as_str())
    .bind(webhook_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A delivery by id alone (the workers' view).
pub async fn get_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<DeliveryRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Every attempt of a delivery, oldest first.
pub async fn attempts_of(conn: &mut AnyConnection, delivery_id: &str) -> Result<Vec<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM delivery_attempts WHERE delivery_id = $1 ORDER BY number"
    ))
    .bind(delivery_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The last attempt of each of `ids` that has one.
pub async fn last_attempts_of(conn: &mut AnyConnection, ids: &[&str]) -> Result<Vec<AttemptRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds = Binds::default();
    let sql = format!(
        "SELECT a.delivery_id, a.number, a.started_at, a.duration_ms, a.status_code, a.error, \
         a.response_headers, a.response_body FROM delivery_attempts a JOIN deliveries d \
         ON d.id = a.delivery_id AND d.attempt_count = a.number WHERE d.id IN ({})",
        binds.texts(ids)
    );
    Ok(binds
        .bind_to(sqlx::query_as(&sql))
        .fetch_all(&mut *conn)
        .await?)
}

/// A column deliveries can be listed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Status,
    TriggeredAt,
}

impl SortColumn {
    fn column(self) -> &'static str {
        match self {
            SortColumn::Status => "status",
            SortColumn::TriggeredAt => "triggered_at",
        }
    }

    /// The value of this column in `row`, as a cursor records it.
    pub fn value_of(self, row: &DeliveryRow) -> SortValue {
        match self {
            SortColumn::Status => SortValue::Text(row.status.clone()),
            SortColumn::TriggeredAt => SortValue::Int(row.triggered_at),
        }
    }
}

/// Which deliveries of a webhook a list returns, in which order, from where.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub sort: SortColumn,
    pub descending: bool,
    pub after: Option<(SortValue, String)>,
    pub backwards: bool,
    pub limit: i64,
    pub status: Option<String>,
    pub event_type: Option<String>,
}

/// One page of a webhook's deliveries, in scan order (the caller reverses a backwards page).
pub async fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    webhook_id: &str,
    query: &ListQuery,
) -> Result<Vec<DeliveryRow>> {
    let mut binds = Binds::default();
    let mut conditions = vec![
        format!("tenant_id = {}", binds.text(tenant.as_str())),
        format!("webhook_id = {}", binds.text(webhook_id)),
    ];
    for (column, value) in [("status", &query.status), ("event_type", &query.event_type)] {
        if let Some(value) = value {
            conditions.push(format!("{column} = {}", binds.text(value)));
        }
    }
    let (order, after) = order_and_after(
        &mut binds,
        query.sort.column(),
        query.descending,
        query.backwards,
        query.after.as_ref(),
    );
    conditions.extend(after);
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries WHERE {} ORDER BY {order} LIMIT {}",
        conditions.join(" AND "),
        query.limit
    );
    Ok(binds
        .bind_to(sqlx::query_as::<_, DeliveryRow>(&sql))
        .fetch_all(&mut *conn)
        .await?)
}

/// A due delivery a worker has claimed, as it was before the claim.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claimed {
    #[sqlx(flatten)]
    pub delivery: DeliveryRow,
    /// When it was due (its `next_attempt_at` before the claim moved it to the lease's end).
    pub due: i64,
}

/// What a worker asks for: deliveries due at `now`, leased to `token` for `lease_ms` on the
/// database's clock (and not due again before `lease_until` on the worker's), at most `limit`
/// of them and none of the webhooks in `busy`.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub now: i64,
    pub lease_until: i64,
    pub lease_ms: i64,
    pub token: &'a str,
    pub limit: usize,
    pub busy: &'a [String],
}

/// Claims due deliveries (pending, `next_attempt_at` passed, no live lease on the database's
/// clock) as `claim` says, keeping those for which `room(webhook)` agrees. On PostgreSQL, rows another node is claiming are skipped
/// (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, and a single task per process
/// claims.
pub async fn claim_due(
    conn: &mut AnyConnection,
    backend: Backend,
    claim: &Claim<'_>,
    mut room: impl FnMut(&str) -> bool,
) -> Result<Vec<Claimed>> {
    let Claim {
        now,
        lease_until,
        lease_ms,
        token,
        limit,
        busy,
    } = *claim;
    let db_now = backend.now_millis_sql();
    let mut binds = Binds::default();
    let now_placeholder = binds.push(SortValue::Int(now));
    let mut conditions = vec![
        "status = 'pending'".to_owned(),
        format!("next_attempt_at <= {now_placeholder}"),
        format!("(lease_expires_at IS NULL OR lease_expires_at <= {db_now})"),
    ];
    if !busy.is_empty() {
        let placeholders: Vec<String> = busy.iter().map(|id| binds.text(id)).collect();
        conditions.push(format!("webhook_id NOT IN ({})", placeholders.join(", ")));
    }
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT {COLUMNS}, next_attempt_at AS due FROM deliveries WHERE {} \
         ORDER BY next_attempt_at LIMIT {limit}{lock}",
        conditions.join(" AND ")
    );
    let candidates: Vec<Claimed> = binds
        .bind_to(sqlx::query_as(&sql))
        .fetch_all(&mut *conn)
        .await?;
    let claimed: Vec<Claimed> = candidates
        .into_iter()
        .filter(|candidate| room(&candidate.delivery.webhook_id))
        .collect();
    if claimed.is_empty() {
        return Ok(claimed);
    }
    let mut binds = Binds::default();
    let token = binds.text(token);
    let until = binds.push(SortValue::Int(lease_until));
    let length = binds.push(SortValue::Int(lease_ms));
    let ids: Vec<String> = claimed.iter().map(|c| binds.text(&c.delivery.id)).collect();
    let sql = format!(
        "UPDATE deliveries SET lease_token = {token}, next_attempt_at = {until}, \
         lease_expires_at = {db_now} + {length} WHERE id IN ({})",
        ids.join(", ")
    );
    binds
        .bind_to_statement(sqlx::query(&sql))
        .execute(&mut *conn)
        .await?;
    Ok(claimed)
}

/// Where a delivery stands after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterAttempt {
    pub status: String,
    pub status_message: String,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<i64>,
    pub request_url: String,
    pub request_headers: String,
}

/// An attempt to record under the lease `token`, with its delivery's new state.
#[derive(Debug, Clone, Copy)]
pub struct ToRecord<'a> {
    pub token: &'a str,
    pub attempt: &'a AttemptRow,
    pub after: &'a AfterAttempt,
}

/// Records attempts and their deliveries' new states, each only if its lease `token` still
/// holds the delivery (nobody took it over and it was not ended meanwhile), in one statement
/// for the deliveries and one for the attempts whatever their number; the ids of the
/// deliveries recorded.
pub async fn record_attempts(
    conn: &mut AnyConnection,
    attempts: &[ToRecord<'_>],
) -> Result<HashSet<String>> {
    if attempts.is_empty() {
        return Ok(HashSet::new());
    }
    // A VALUES list's columns are column1, column2 … on both databases.
    let sql = format!(
        "UPDATE deliveries SET status = v.column3, status_message = v.column4, \
         next_attempt_at = v.column5, lease_token = NULL, lease_expires_at = NULL, \
         attempt_count = v.column6, request_url = v.column7, request_headers = v.column8 \
         FROM (VALUES {}) AS v WHERE deliveries.id = v.column1 \
         AND deliveries.lease_token = v.column2 AND deliveries.status = 'pending' RETURNING id",
        values_rows(attempts.len(), 8)
    );
    let mut query = sqlx::query_as::<_, (String,)>(&sql);
    for ToRecord {
        token,
        attempt,
        after,
    } in attempts
    {
        query = query
            .bind(attempt.delivery_id.as_str())
            .bind(*token)
            .bind(after.status.as_str())
            .bind(after.status_message.as_str())
            .bind(after.next_attempt_at)
            .bind(attempt.number)
            .bind(after.request_url.as_str())
            .bind(after.request_headers.as_str());
    }
    let recorded: HashSet<String> = query
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    let rows: Vec<&AttemptRow> = attempts
        .iter()
        .map(|to_record| to_record.attempt)
        .filter(|attempt| recorded.contains(&attempt.delivery_id))
        .collect();
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO delivery_attempts ({ATTEMPT_COLUMNS}) VALUES {}",
            values_rows(rows.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for attempt in rows {
            query = query
                .bind(attempt.delivery_id.as_str())
                .bind(attempt.number)
                .bind(attempt.started_at)
                .bind(attempt.duration_ms)
                .bind(attempt.status_code)
                .bind(attempt.error.as_deref())
                .bind(attempt.response_headers.as_str())
                .bind(attempt.response_body.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(recorded)
}

/// `($1, …, $width), ($width+1, …), …`: the placeholders of `rows` rows of `width` values.
fn values_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| {
            let values: Vec<String> = (1..=width)
                .map(|column| format!("${}", row * width + column))
                .collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ends a claimed delivery without an attempt (its webhook was disabled or is gone), if the
/// lease `token` still holds it.
pub async fn end_claimed(
    conn: &mut AnyConnection,
    id: &str,
    token: &str,
    message: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE deliveries SET status = 'fail', status_message = $3, next_attempt_at = NULL, \
         lease_token = NULL, lease_expires_at = NULL \
         WHERE id = $1 AND lease_token = $2 AND status = 'pending'",
    )
    .bind(id)
    .bind(token)
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every pending delivery of the tenant's disabled webhooks as `fail` with `message`
/// (a disabled webhook sends nothing more); how many. Deliveries under a live lease are left
/// to their holder: an attempt under way is recorded as it really happened and then ended
/// ([`end_if_webhook_disabled`]), one not started yet is not sent.
pub async fn end_pending_of_disabled(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    message: &str,
) -> Result<u64> {
    let db_now = Backend::of(conn).now_millis_sql();
    let done = sqlx::query(&format!(
        "UPDATE deliveries SET status = 'fail', status_message = $2, next_attempt_at = NULL, \
         lease_token = NULL, lease_expires_at = NULL WHERE status = 'pending' AND tenant_id = $1 \
         AND (lease_token IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= {db_now}) \
         AND webhook_id IN (SELECT id FROM webhooks WHERE tenant_id = $1 AND enabled = 0)"
    ))
    .bind(tenant.as_str())
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Ends those of the pending deliveries `ids` whose webhook is disabled as `fail` with
/// `message` (their attempts were under way when that happened); how many.
pub async fn end_if_webhook_disabled(
    conn: &mut AnyConnection,
    ids: &[&str],
    message: &str,
) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut binds = Binds::default();
    let message = binds.text(message);
    let sql = format!(
        "UPDATE deliveries SET status = 'fail', status_message = {message}, \
         next_attempt_at = NULL, lease_token = NULL, lease_expires_at = NULL \
         WHERE id IN ({}) AND status = 'pending' \
         AND webhook_id IN (SELECT id FROM webhooks WHERE enabled = 0)",
        binds.texts(ids)
    );
    Ok(binds
        .bind_to_statement(sqlx::query(&sql))
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// Gives back the leases of `token` (at shutdown): those deliveries are due again at once.
pub async fn release(conn: &mut AnyConnection, token: &str, now: i64) -> Result<u64> {
    // A held lease ends in the future: `next_attempt_at > now` lets the partial index
    // deliveries_due find the claim instead of scanning every delivery kept.
    let done = sqlx::query(
        "UPDATE deliveries SET lease_token = NULL, lease_expires_at = NULL, next_attempt_at = $2 \
         WHERE lease_token = $1 AND status = 'pending' AND next_attempt_at > $2",
    )
    .bind(token)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// How many pending deliveries are due at `now` (an expired lease included), on every node.
pub async fn count_due(conn: &mut AnyConnection, now: i64) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1",
    )
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(count)
}

/// The earliest time a pending delivery is due, if any is pending.
pub async fn next_due(conn: &mut AnyConnection) -> Result<Option<i64>> {
    let (next,): (Option<i64>,) =
        sqlx::query_as("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'")
            .fetch_one(&mut *conn)
            .await?;
    Ok(next)
}

/// Removes up to `batch` ended deliveries triggered before `before` (their attempts go with
/// them); how many. A pending delivery is never removed, however old: it is still retried.
pub async fn purge(conn: &mut AnyConnection, before: i64, batch: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
         WHERE triggered_at < $1 AND status <> 'pending' LIMIT $2)",
    )
    .bind(before)
    .bind(batch)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
