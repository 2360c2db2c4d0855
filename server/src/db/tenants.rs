//! The `tenants` table.

use sqlx::AnyConnection;

use super::TenantId;
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, id: &str, name: &str, now: i64) -> Result<TenantId> {
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(TenantId::from_stored(id.to_owned()))
}

/// Every tenant, oldest first (operator tasks only).
pub async fn list_instance_wide(conn: &mut AnyConnection) -> Result<Vec<TenantRow>> {
    Ok(
        sqlx::query_as("SELECT id, name, created_at FROM tenants ORDER BY created_at, id")
            .fetch_all(&mut *conn)
            .await?,
    )
}

pub async fn find_instance_wide(conn: &mut AnyConnection, id: &str) -> Result<Option<TenantRow>> {
    Ok(
        sqlx::query_as("SELECT id, name, created_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}
