//! The `custom_event_types` table: the types a TenantAdmin added to the tenant's catalogue.

use sqlx::AnyConnection;

use super::TenantId;
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomEventTypeRow {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Space-separated levels.
    pub levels: String,
    pub category: String,
    pub example_data: String,
    pub created_at: i64,
}

/// The tenant's custom types, by name.
pub async fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<CustomEventTypeRow>> {
    Ok(sqlx::query_as(
        "SELECT name, title, description, levels, category, example_data, created_at \
         FROM custom_event_types WHERE tenant_id = $1 ORDER BY name",
    )
    .bind(tenant.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    row: &CustomEventTypeRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO custom_event_types (tenant_id, name, title, description, levels, category, \
         example_data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.as_str())
    .bind(&row.name)
    .bind(&row.title)
    .bind(&row.description)
    .bind(&row.levels)
    .bind(&row.category)
    .bind(&row.example_data)
    .bind(row.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes a custom type; false when the tenant has none of that name.
pub async fn delete(conn: &mut AnyConnection, tenant: &TenantId, name: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM custom_event_types WHERE tenant_id = $1 AND name = $2")
        .bind(tenant.as_str())
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
