//! The `one_time_links` table: setup, invite and password-reset links, stored by token digest.

use app::accounts::LinkPurpose;
use sqlx::AnyConnection;

use super::TenantId;
use crate::error::{Error, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub id: String,
    purpose: String,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl LinkRow {
    pub fn purpose(&self) -> Result<LinkPurpose> {
        LinkPurpose::parse(&self.purpose).ok_or_else(|| {
            Error::Internal(format!(
                "link {} has unknown purpose {}",
                self.id, self.purpose
            ))
        })
    }

    pub fn tenant(&self) -> TenantId {
        TenantId::from_stored(self.tenant_id.clone())
    }
}

/// A link to insert.
pub struct NewLink<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub purpose: LinkPurpose,
    pub user_id: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, tenant: &TenantId, link: &NewLink<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO one_time_links (id, token_hash, purpose, tenant_id, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(link.id)
    .bind(link.token_hash)
    .bind(link.purpose.as_str())
    .bind(tenant.as_str())
    .bind(link.user_id)
    .bind(link.now)
    .bind(link.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Looks a presented link up: the token decides the tenant.
pub async fn find_by_token_instance_wide(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<LinkRow>> {
    Ok(sqlx::query_as(
        "SELECT id, purpose, tenant_id, user_id, expires_at, used_at \
         FROM one_time_links WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Marks a link used; `false` when another request used it first.
pub async fn mark_used(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE one_time_links SET used_at = $3 WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws a user's unused links of one purpose (a new one replaces them; deactivation).
pub async fn withdraw_for_user(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    user_id: &str,
    purpose: LinkPurpose,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM one_time_links \
         WHERE tenant_id = $1 AND user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(user_id)
    .bind(purpose.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Withdraws a tenant's unused setup links (a new one replaces them).
pub async fn withdraw_setup_links(conn: &mut AnyConnection, tenant: &TenantId) -> Result<()> {
    sqlx::query(
        "DELETE FROM one_time_links WHERE tenant_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(LinkPurpose::Setup.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
