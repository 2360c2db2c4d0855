//! The `users` table.

use app::accounts::{Role, UserStatus};
use sqlx::AnyConnection;

use super::TenantId;
use crate::error::{Error, Result};

const COLUMNS: &str = "id, tenant_id, email, display_name, external_id, role, status, \
                       password_hash, created_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub display_name: String,
    pub external_id: Option<String>,
    role: String,
    status: String,
    pub password_hash: Option<String>,
    pub created_at: i64,
}

impl UserRow {
    pub fn role(&self) -> Result<Role> {
        Role::parse(&self.role).ok_or_else(|| {
            Error::Internal(format!("user {} has unknown role {}", self.id, self.role))
        })
    }

    pub fn status(&self) -> Result<UserStatus> {
        UserStatus::parse(&self.status).ok_or_else(|| {
            Error::Internal(format!(
                "user {} has unknown status {}",
                self.id, self.status
            ))
        })
    }

    pub fn tenant(&self) -> TenantId {
        TenantId::from_stored(self.tenant_id.clone())
    }
}

/// A user to insert.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub external_id: Option<&'a str>,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: Option<&'a str>,
    pub now: i64,
}

pub async fn insert(conn: &mut AnyConnection, tenant: &TenantId, user: &NewUser<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, tenant_id, email, display_name, external_id, role, status, \
         password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(user.id)
    .bind(tenant.as_str())
    .bind(user.email)
    .bind(user.display_name)
    .bind(user.external_id)
    .bind(user.role.as_str())
    .bind(user.status.as_str())
    .bind(user.password_hash)
    .bind(user.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sign-in only: the e-mail address decides the tenant.
pub async fn find_by_email_instance_wide(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<UserRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Whether the instance has any user at all (first start).
pub async fn any_instance_wide(conn: &mut AnyConnection) -> Result<bool> {
    let found: Option<(String,)> = sqlx::query_as("SELECT id FROM users LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

pub async fn get(conn: &mut AnyConnection, tenant: &TenantId, id: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Whether the tenant has any user (a setup link is for a tenant without one).
pub async fn any_in_tenant(conn: &mut AnyConnection, tenant: &TenantId) -> Result<bool> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT id FROM users WHERE tenant_id = $1 LIMIT 1")
            .bind(tenant.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// The tenant's users, by e-mail.
pub async fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY email, id"
    ))
    .bind(tenant.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

/// The changeable profile of a user.
pub struct Profile<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub external_id: Option<&'a str>,
}

pub async fn update_profile(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    profile: &Profile<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET display_name = $3, role = $4, external_id = $5, updated_at = $6 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.as_str())
    .bind(id)
    .bind(profile.display_name)
    .bind(profile.role.as_str())
    .bind(profile.external_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    status: UserStatus,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str())
        .bind(id)
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets a password (and the status it brings: an invited user becomes active).
pub async fn set_password(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    id: &str,
    password_hash: &str,
    status: UserStatus,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $3, status = $4, updated_at = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.as_str())
    .bind(id)
    .bind(password_hash)
    .bind(status.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many active TenantAdmins the tenant has (it must keep at least one).
pub async fn count_active_admins(conn: &mut AnyConnection, tenant: &TenantId) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = $2 AND status = $3",
    )
    .bind(tenant.as_str())
    .bind(Role::TenantAdmin.as_str())
    .bind(UserStatus::Active.as_str())
    .fetch_one(&mut *conn)
    .await?;
    Ok(count)
}
