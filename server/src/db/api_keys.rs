//! The `api_keys` table. Keys are stored as a public prefix plus the SHA-256 of the whole key.

use sqlx::AnyConnection;

use super::TenantId;
use crate::error::Result;

const COLUMNS: &str = "k.id, k.tenant_id, k.user_id, k.name, k.prefix, k.secret_hash, k.scopes, \
                       k.created_at, k.last_used_at, k.revoked_at, \
                       u.email AS owner_email, u.role AS owner_role, u.status AS owner_status";

/// A key with what the request needs to know about its owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub owner_email: String,
    pub owner_role: String,
    pub owner_status: String,
}

/// A key to insert.
pub struct NewKey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a str,
    pub now: i64,
}

pub async fn insert(conn: &mut AnyConnection, tenant: &TenantId, key: &NewKey<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, user_id, name, prefix, secret_hash, scopes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(key.id)
    .bind(tenant.as_str())
    .bind(key.user_id)
    .bind(key.name)
    .bind(key.prefix)
    .bind(key.secret_hash)
    .bind(key.scopes)
    .bind(key.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Authentication only: the presented key's prefix decides the tenant.
pub async fn find_by_prefix_instance_wide(
    conn: &mut AnyConnection,
    prefix: &str,
) -> Result<Option<ApiKeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k JOIN users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id \
         WHERE k.prefix = $1"
    ))
    .bind(prefix)
    .fetch_optional(&mut *conn)
    .await?)
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<ApiKeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k JOIN users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id \
         WHERE k.tenant_id = $1 AND k.id = $2"
    ))
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The tenant's keys, newest first.
pub async fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<ApiKeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k JOIN users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id \
         WHERE k.tenant_id = $1 ORDER BY k.created_at DESC, k.id"
    ))
    .bind(tenant.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn touch_last_used(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str())
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn revoke(conn: &mut AnyConnection, tenant: &TenantId, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Revokes every key of a user (deactivation).
pub async fn revoke_for_user(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    user_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE api_keys SET revoked_at = $3 \
         WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
