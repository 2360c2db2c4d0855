//! The `sessions` table. A session's id is the SHA-256 of its cookie token.

use sqlx::AnyConnection;

use super::TenantId;
use crate::error::Result;

/// A session with the user it belongs to, as read on every console request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionWithUser {
    pub tenant_id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub status: String,
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    user_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, tenant_id, user_id, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id)
    .bind(tenant.as_str())
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Looks a presented cookie up: the token decides the tenant.
pub async fn find_with_user_instance_wide(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<SessionWithUser>> {
    Ok(sqlx::query_as(
        "SELECT s.tenant_id, s.user_id, s.created_at, s.last_seen_at, \
                u.email, u.display_name, u.role, u.status \
         FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id \
         WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Records that a presented session was just used.
pub async fn touch_instance_wide(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends one session, found by its token (sign-out, expiry).
pub async fn delete_instance_wide(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (deactivation, password reset).
pub async fn delete_for_user(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    user_id: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
        .bind(tenant.as_str())
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
