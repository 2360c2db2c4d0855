//! The `webhooks` and `webhook_event_types` tables. Secrets arrive here already sealed.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::{
    keyset::{order_and_after, Binds},
    TenantId,
};

pub use super::keyset::SortValue;
use crate::error::Result;

const COLUMNS: &str = "id, tenant_id, name, description, url, filter, headers, \
     encrypted_headers, encrypted_header_names, secret, enabled, disabled_reason, \
     disabled_reason_code, level, owner_id, origin, enable_cloud_event_delivery, \
     check_certificate_revocation, created_at, updated_at, created_by_user_id, \
     updated_by_user_id";

/// A webhook as stored: JSON text for the maps, ciphertexts for write-only values, 0/1 flags.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: Option<String>,
    pub url: String,
    pub filter: Option<String>,
    pub headers: String,
    pub encrypted_headers: Option<String>,
    pub encrypted_header_names: String,
    pub secret: Option<String>,
    pub enabled: i64,
    pub disabled_reason: Option<String>,
    pub disabled_reason_code: Option<String>,
    pub level: String,
    pub owner_id: String,
    pub origin: String,
    pub enable_cloud_event_delivery: i64,
    pub check_certificate_revocation: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub created_by_user_id: String,
    pub updated_by_user_id: String,
}

/// Inserts a webhook (its `tenant_id` must be `tenant`) and its event types.
pub async fn insert(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    row: &WebhookRow,
    event_types: &[String],
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO webhooks ({COLUMNS}, name_key, url_key) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
    ))
    .bind(&row.id)
    .bind(tenant.as_str())
    .bind(&row.name)
    .bind(&row.description)
    .bind(&row.url)
    .bind(&row.filter)
    .bind(&row.headers)
    .bind(&row.encrypted_headers)
    .bind(&row.encrypted_header_names)
    .bind(&row.secret)
    .bind(row.enabled)
    .bind(&row.disabled_reason)
    .bind(&row.disabled_reason_code)
    .bind(&row.level)
    .bind(&row.owner_id)
    .bind(&row.origin)
    .bind(row.enable_cloud_event_delivery)
    .bind(row.check_certificate_revocation)
    .bind(row.created_at)
    .bind(row.updated_at)
    .bind(&row.created_by_user_id)
    .bind(&row.updated_by_user_id)
    .bind(search_key(&row.name))
    .bind(search_key(&row.url))
    .execute(&mut *conn)
    .await?;
    set_event_types(conn, tenant, &row.id, event_types).await
}

/// Writes every changeable column of an existing webhook, and its event types.
pub async fn update(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    row: &WebhookRow,
    event_types: &[String],
) -> Result<()> {
    sqlx::query(
        "UPDATE webhooks SET name = $3, name_key = $4, description = $5, url = $6, \
         url_key = $7, filter = $8, headers = $9, encrypted_headers = $10, \
         encrypted_header_names = $11, secret = $12, enabled = $13, disabled_reason = $14, \
         disabled_reason_code = $15, level = $16, owner_id = $17, \
         enable_cloud_event_delivery = $18, check_certificate_revocation = $19, \
         updated_at = $20, updated_by_user_id = $21 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.as_str())
    .bind(&row.id)
    .bind(&row.name)
    .bind(search_key(&row.name))
    .bind(&row.description)
    .bind(&row.url)
    .bind(search_key(&row.url))
    .bind(&row.filter)
    .bind(&row.headers)
    .bind(&row.encrypted_headers)
    .bind(&row.encrypted_header_names)
    .bind(&row.secret)
    .bind(row.enabled)
    .bind(&row.disabled_reason)
    .bind(&row.disabled_reason_code)
    .bind(&row.level)
    .bind(&row.owner_id)
    .bind(row.enable_cloud_event_delivery)
    .bind(row.check_certificate_revocation)
    .bind(row.updated_at)
    .bind(&row.updated_by_user_id)
    .execute(&mut *conn)
    .await?;
    set_event_types(conn, tenant, &row.id, event_types).await
}

async fn set_event_types(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    webhook_id: &str,
    event_types: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM webhook_event_types WHERE tenant_id = $1 AND webhook_id = $2")
        .bind(tenant.as_str())
        .bind(webhook_id)
        .execute(&mut *conn)
        .await?;
    for (position, event_type) in event_types.iter().enumerate() {
        sqlx::query(
            "INSERT INTO webhook_event_types (webhook_id, tenant_id, event_type, position) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(webhook_id)
        .bind(tenant.as_str())
        .bind(event_type)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<WebhookRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhooks WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Deletes a webhook (its event-type rows go with it); false when there was none.
pub async fn delete(conn: &mut AnyConnection, tenant: &TenantId, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The event types of each of `ids`, in the order they were given.
pub async fn event_types_of(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    ids: &[&str],
) -> Result<HashMap<String, Vec<String>>> {
    let mut types: HashMap<String, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(types);
    }
    let placeholders: Vec<String> = (0..ids.len()).map(|n| format!("${}", n + 2)).collect();
    let sql = format!(
        "SELECT webhook_id, event_type FROM webhook_event_types \
         WHERE tenant_id = $1 AND webhook_id IN ({}) ORDER BY webhook_id, position",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(tenant.as_str());
    for id in ids {
        query = query.bind(*id);
    }
    for (webhook_id, event_type) in query.fetch_all(&mut *conn).await? {
        types.entry(webhook_id).or_default().push(event_type);
    }
    Ok(types)
}

/// How many webhooks the tenant has, and how many of them `owner_id` owns.
pub async fn counts(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    owner_id: &str,
) -> Result<(i64, i64)> {
    let (in_tenant, owned): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), SUM(CASE WHEN owner_id = $2 THEN 1 ELSE 0 END) FROM webhooks \
         WHERE tenant_id = $1",
    )
    .bind(tenant.as_str())
    .bind(owner_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((in_tenant, owned.unwrap_or(0)))
}

/// Whether any webhook of the tenant subscribes to `event_type`.
pub async fn any_uses_event_type(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    event_type: &str,
) -> Result<bool> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT webhook_id FROM webhook_event_types WHERE tenant_id = $1 AND event_type = $2 \
         LIMIT 1",
    )
    .bind(tenant.as_str())
    .bind(event_type)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Disables the user-level webhooks of a deactivated user.
pub async fn disable_user_level_of_owner(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    owner_id: &str,
    reason: &str,
    reason_code: &str,
    now: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE webhooks SET enabled = 0, disabled_reason = $3, disabled_reason_code = $4, \
         updated_at = $5 WHERE tenant_id = $1 AND owner_id = $2 AND level = 'user' \
         AND enabled = 1",
    )
    .bind(tenant.as_str())
    .bind(owner_id)
    .bind(reason)
    .bind(reason_code)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Webhooks that an event of `event_type` may go to: the tenant's enabled subscribers, with
/// the external id of their owner (user-level matching compares it).
pub async fn enabled_subscribers(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    event_type: &str,
) -> Result<Vec<(WebhookRow, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Subscriber {
        #[sqlx(flatten)]
        row: WebhookRow,
        owner_external_id: Option<String>,
    }
    let columns = COLUMNS
        .split(", ")
        .map(|column| format!("w.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let found: Vec<Subscriber> = sqlx::query_as(&format!(
        "SELECT {columns}, u.external_id AS owner_external_id FROM webhooks w \
         JOIN webhook_event_types t ON t.webhook_id = w.id \
         JOIN users u ON u.id = w.owner_id \
         WHERE t.tenant_id = $1 AND t.event_type = $2 AND w.enabled = 1 ORDER BY w.id"
    ))
    .bind(tenant.as_str())
    .bind(event_type)
    .fetch_all(&mut *conn)
    .await?;
    Ok(found
        .into_iter()
        .map(|found| (found.row, found.owner_external_id))
        .collect())
}

/// How many webhooks of all tenants Herald disabled, per reason code.
pub async fn count_disabled_by_reason(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT disabled_reason_code, COUNT(*) FROM webhooks \
         WHERE enabled = 0 AND disabled_reason_code IS NOT NULL GROUP BY disabled_reason_code",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// A webhook by id alone (the delivery workers' view).
pub async fn get_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<WebhookRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The webhooks with the ids `ids` that exist (the delivery workers' view of a claimed batch).
pub async fn get_many_by_id(conn: &mut AnyConnection, ids: &[&str]) -> Result<Vec<WebhookRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds = Binds::default();
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE id IN ({})",
        binds.texts(ids)
    );
    Ok(binds
        .bind_to(sqlx::query_as(&sql))
        .fetch_all(&mut *conn)
        .await?)
}

/// Counts a failed attempt toward the failure threshold: since when every attempt
/// has failed, and — when the attempt ended its delivery as `fail` — one more failed delivery
/// in a row. Answers `(failed deliveries in a row, failing since)`.
pub async fn note_failure(
    conn: &mut AnyConnection,
    id: &str,
    delivery_ended: bool,
    now: i64,
) -> Result<(i64, i64)> {
    let (in_a_row, since): (i64, Option<i64>) = sqlx::query_as(
        "UPDATE webhooks SET failing_since = COALESCE(failing_since, $2), \
         consecutive_failures = consecutive_failures + $3 WHERE id = $1 \
         RETURNING consecutive_failures, failing_since",
    )
    .bind(id)
    .bind(now)
    .bind(i64::from(delivery_ended))
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or((0, None));
    Ok((in_a_row, since.unwrap_or(now)))
}

/// A delivery succeeded (or the webhook was enabled again): the threshold starts over.
pub async fn reset_failures(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL WHERE id = $1 \
         AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Herald disables a webhook (endpoint gone, failure threshold); false when it was disabled
/// already.
pub async fn disable(
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    reason_code: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhooks SET enabled = 0, disabled_reason = $2, disabled_reason_code = $3, \
         updated_at = $4 WHERE id = $1 AND enabled = 1",
    )
    .bind(id)
    .bind(reason)
    .bind(reason_code)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The lower-cased copy of a name or URL that search and ordering use.
pub fn search_key(text: &str) -> String {
    text.to_lowercase()
}

/// A column a list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Name,
    Url,
    CreatedAt,
    UpdatedAt,
}

impl SortColumn {
    fn column(self) -> &'static str {
        match self {
            SortColumn::Name => "name_key",
            SortColumn::Url => "url_key",
            SortColumn::CreatedAt => "created_at",
            SortColumn::UpdatedAt => "updated_at",
        }
    }

    /// The value of this column in `row`, as a cursor records it.
    pub fn value_of(self, row: &WebhookRow) -> SortValue {
        match self {
            SortColumn::Name => SortValue::Text(search_key(&row.name)),
            SortColumn::Url => SortValue::Text(search_key(&row.url)),
            SortColumn::CreatedAt => SortValue::Int(row.created_at),
            SortColumn::UpdatedAt => SortValue::Int(row.updated_at),
        }
    }
}

/// Which rows of a tenant a list returns, in which order, from where.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub sort: Option<SortColumn>,
    pub descending: bool,
    /// Rows strictly after this (sort value, id) in the order of the scan.
    pub after: Option<(SortValue, String)>,
    /// Scan against the list's order (to fetch the page before a cursor).
    pub backwards: bool,
    pub limit: i64,
    /// Lower-cased substrings.
    pub name_contains: Option<String>,
    pub url_contains: Option<String>,
    pub enabled: Option<bool>,
    /// The webhook must have all of these.
    pub event_types: Vec<String>,
    pub level: Option<String>,
    /// The webhook's origin must be one of these (when any are given).
    pub origins: Vec<String>,
    pub owner_id: Option<String>,
    pub created_by_user_id: Option<String>,
    pub updated_by_user_id: Option<String>,
}

/// `%`, `_` and the escape character itself match literally.
fn like_pattern(substring: &str) -> String {
    let escaped = substring
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of the tenant's webhooks, in scan order (the caller reverses a backwards page).
pub async fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    query: &ListQuery,
) -> Result<Vec<WebhookRow>> {
    let mut binds = Binds::default();
    let mut conditions = vec![format!("tenant_id = {}", binds.text(tenant.as_str()))];
    for (column, substring) in [
        ("name_key", &query.name_contains),
        ("url_key", &query.url_contains),
    ] {
        if let Some(substring) = substring {
            let placeholder = binds.text(&like_pattern(substring));
            conditions.push(format!("{column} LIKE {placeholder} ESCAPE '\\'"));
        }
    }
    if let Some(enabled) = query.enabled {
        conditions.push(format!("enabled = {}", i64::from(enabled)));
    }
    for (column, value) in [
        ("level", &query.level),
        ("owner_id", &query.owner_id),
        ("created_by_user_id", &query.created_by_user_id),
        ("updated_by_user_id", &query.updated_by_user_id),
    ] {
        if let Some(value) = value {
            let placeholder = binds.text(value);
            conditions.push(format!("{column} = {placeholder}"));
        }
    }
    if !query.origins.is_empty() {
        let placeholders: Vec<String> = query.origins.iter().map(|o| binds.text(o)).collect();
        conditions.push(format!("origin IN ({})", placeholders.join(", ")));
    }
    for event_type in &query.event_types {
        let tenant_placeholder = binds.text(tenant.as_str());
        let type_placeholder = binds.text(event_type);
        conditions.push(format!(
            "id IN (SELECT webhook_id FROM webhook_event_types WHERE tenant_id = \
             {tenant_placeholder} AND event_type = {type_placeholder})"
        ));
    }
    let column = query.sort.unwrap_or(SortColumn::CreatedAt).column();
    let (order, after) = order_and_after(
        &mut binds,
        column,
        query.descending,
        query.backwards,
        query.after.as_ref(),
    );
    conditions.extend(after);
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE {} ORDER BY {order} LIMIT {}",
        conditions.join(" AND "),
        query.limit
    );
    let statement = binds.bind_to(sqlx::query_as::<_, WebhookRow>(&sql));
    Ok(statement.fetch_all(&mut *conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_percent_and_underscore_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
