//! The `events` table: accepted events, their publisher's key and their request bodies.

use sqlx::AnyConnection;

use super::{keyset::Binds, TenantId};
use crate::error::Result;

/// An accepted event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub tenant_id: String,
    pub source: String,
    pub event_id: String,
    pub event_type: String,
    pub fingerprint: String,
    pub legacy_body: Option<String>,
    pub cloud_event_body: Option<String>,
    pub received_at: i64,
}

const COLUMNS: &str = "id, tenant_id, source, event_id, event_type, fingerprint, legacy_body, \
     cloud_event_body, received_at";

/// The fingerprint of the stored event with the publisher's key (tenant, source, id), if any.
pub async fn fingerprint_of(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    source: &str,
    event_id: &str,
) -> Result<Option<String>> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT fingerprint FROM events WHERE tenant_id = $1 AND source = $2 AND event_id = $3",
    )
    .bind(tenant.as_str())
    .bind(source)
    .bind(event_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.map(|(fingerprint,)| fingerprint))
}

/// The event with Herald's key `id`.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<EventRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM events WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Stores an event unless its publisher's key (tenant, source, id) is taken; whether it did.
/// A concurrent writer of the same key is waited for, so the key is then found taken.
pub async fn insert_if_new(conn: &mut AnyConnection, row: &EventRow) -> Result<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (tenant_id, source, event_id) DO NOTHING"
    ))
    .bind(&row.id)
    .bind(&row.tenant_id)
    .bind(&row.source)
    .bind(&row.event_id)
    .bind(&row.event_type)
    .bind(&row.fingerprint)
    .bind(&row.legacy_body)
    .bind(&row.cloud_event_body)
    .bind(row.received_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes events received before `before` that no delivery refers to any more; how many.
pub async fn purge_unreferenced(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM events WHERE received_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.event_ref = events.id)",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// The events with Herald's keys `ids`.
pub async fn get_many(conn: &mut AnyConnection, ids: &[&str]) -> Result<Vec<EventRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds = Binds::default();
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE id IN ({})",
        binds.texts(ids)
    );
    Ok(binds
        .bind_to(sqlx::query_as(&sql))
        .fetch_all(&mut *conn)
        .await?)
}
