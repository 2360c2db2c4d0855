//! TenantAdmin operations on the tenant's users: invite, edit, deactivate, reset links.

use app::{
    accounts::{Caller, LinkPurpose, OneTimeLink, Person, Role, UserStatus, UserSummary},
    error::AppError,
    validation::accounts as rules,
    webhooks::DisabledReasonCode,
};

use super::{new_id, require_tenant_admin, Accounts};
use crate::{
    db::{api_keys, deliveries, links, serialize_on, sessions, users, webhooks, TenantId},
    delivery::WEBHOOK_DISABLED,
    error::{is_unique_violation, Error, Result},
    timestamps::rfc3339,
};

/// A user as the Users page lists them.
pub(super) fn summary(user: &users::UserRow) -> Result<UserSummary> {
    Ok(UserSummary {
        id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        external_id: user.external_id.clone(),
        role: user.role()?,
        status: user.status()?,
        created_at: rfc3339(user.created_at),
    })
}

/// What a TenantAdmin fills in to add or change a user.
#[derive(Debug, Clone)]
pub struct UserForm {
    pub display_name: String,
    pub role: Role,
    pub external_id: String,
}

fn external_id_taken() -> Error {
    AppError::invalid(
        "/externalId",
        "Another user of this tenant has this external id.",
    )
    .into()
}

fn email_taken() -> Error {
    AppError::invalid(
        "/email",
        "An account with this e-mail address already exists.",
    )
    .into()
}

/// Maps a unique-constraint failure of a user write to the field that caused it.
pub(super) fn explain_conflict(error: Error, email_write: bool) -> Error {
    match (is_unique_violation(&error), email_write) {
        (false, _) => error,
        (true, true) => {
            // Either the e-mail or the external id is taken; the message names the e-mail,
            // the more likely one, unless the database says otherwise.
            let text = error.to_string();
            if text.contains("external_id") {
                external_id_taken()
            } else {
                email_taken()
            }
        }
        (true, false) => external_id_taken(),
    }
}

impl Accounts {
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<UserSummary>> {
        require_tenant_admin(caller)?;
        let mut conn = self.db().connection().await?;
        users::list(&mut conn, &TenantId::of(caller))
            .await?
            .iter()
            .map(summary)
            .collect()
    }

    /// The people a webhook's owner can be shown as or chosen from: the whole tenant for
    /// TenantAdmins and "Manage webhooks", the caller alone for "Use webhooks" (who own only
    /// their own webhooks and may not browse the tenant's users).
    pub async fn people(&self, caller: &Caller) -> Result<Vec<Person>> {
        let mut conn = self.db().connection().await?;
        let users = users::list(&mut conn, &TenantId::of(caller)).await?;
        users
            .iter()
            .filter(|user| caller.role() != Role::UseWebhooks || user.id == caller.user_id())
            .map(|user| {
                Ok(Person {
                    id: user.id.clone(),
                    display_name: user.display_name.clone(),
                    email: user.email.clone(),
                    active: user.status()? == UserStatus::Active,
                })
            })
            .collect()
    }

    /// Adds a user who has no password yet, and returns the invite link that lets them choose
    /// one (there is no e-mail server: the admin hands the link over).
    pub async fn invite_user(
        &self,
        caller: &Caller,
        email: &str,
        form: &UserForm,
    ) -> Result<(UserSummary, OneTimeLink)> {
        require_tenant_admin(caller)?;
        let email = rules::email("/email", email)?;
        let display_name = rules::display_name("/displayName", &form.display_name)?;
        let external_id = rules::external_id("/externalId", &form.external_id)?;
        let tenant = TenantId::of(caller);
        let user_id = new_id();
        let mut tx = self.db().begin().await?;
        users::insert(
            &mut tx,
            &tenant,
            &users::NewUser {
                id: &user_id,
                email: &email,
                display_name: &display_name,
                external_id: external_id.as_deref(),
                role: form.role,
                status: UserStatus::Invited,
                password_hash: None,
                now: self.now_millis(),
            },
        )
        .await
        .map_err(|error| explain_conflict(error, true))?;
        let link = self
            .issue_link(&mut tx, &tenant, LinkPurpose::Invite, Some(&user_id))
            .await?;
        let user = users::get(&mut tx, &tenant, &user_id)
            .await?
            .ok_or_else(|| Error::Internal("the new user vanished".into()))?;
        tx.commit().await?;
        tracing::info!(%user_id, tenant_id = %tenant, by = caller.user_id(), "user invited");
        Ok((summary(&user)?, link))
    }

    /// Changes a user's name, role and external id. The tenant always keeps an active
    /// TenantAdmin.
    pub async fn update_user(
        &self,
        caller: &Caller,
        user_id: &str,
        form: &UserForm,
    ) -> Result<UserSummary> {
        require_tenant_admin(caller)?;
        let display_name = rules::display_name("/displayName", &form.display_name)?;
        let external_id = rules::external_id("/externalId", &form.external_id)?;
        let tenant = TenantId::of(caller);
        let mut tx = self.db().begin().await?;
        serialize_on(&mut tx, &admins_invariant(&tenant)).await?;
        let user = users::get(&mut tx, &tenant, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        users::update_profile(
            &mut tx,
            &tenant,
            user_id,
            &users::Profile {
                display_name: &display_name,
                role: form.role,
                external_id: external_id.as_deref(),
            },
            self.now_millis(),
        )
        .await
        .map_err(|error| explain_conflict(error, false))?;
        if user.role()? == Role::TenantAdmin && form.role != Role::TenantAdmin {
            ensure_an_admin_remains(&mut tx, &tenant).await?;
        }
        let updated = users::get(&mut tx, &tenant, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        tracing::info!(%user_id, tenant_id = %tenant, by = caller.user_id(), "user updated");
        summary(&updated)
    }

    /// Deactivates a user — ending their sessions, revoking their API keys, withdrawing their
    /// links and disabling their user-level webhooks — or activates them again (their old keys
    /// stay revoked, their webhooks stay disabled until someone enables them).
    pub async fn set_user_active(
        &self,
        caller: &Caller,
        user_id: &str,
        active: bool,
    ) -> Result<UserSummary> {
        require_tenant_admin(caller)?;
        let tenant = TenantId::of(caller);
        let now = self.now_millis();
        let mut tx = self.db().begin().await?;
        serialize_on(&mut tx, &admins_invariant(&tenant)).await?;
        let user = users::get(&mut tx, &tenant, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if active {
            if user.status()? == UserStatus::Deactivated {
                let status = if user.password_hash.is_some() {
                    UserStatus::Active
                } else {
                    UserStatus::Invited
                };
                users::set_status(&mut tx, &tenant, user_id, status, now).await?;
            }
        } else {
            if user_id == caller.user_id() {
                return Err(AppError::Forbidden("You cannot deactivate yourself.".into()).into());
            }
            users::set_status(&mut tx, &tenant, user_id, UserStatus::Deactivated, now).await?;
            sessions::delete_for_user(&mut tx, &tenant, user_id).await?;
            api_keys::revoke_for_user(&mut tx, &tenant, user_id, now).await?;
            webhooks::disable_user_level_of_owner(
                &mut tx,
                &tenant,
                user_id,
                "The owner was deactivated.",
                DisabledReasonCode::OwnerDeactivated.as_str(),
                now,
            )
            .await?;
            deliveries::end_pending_of_disabled(&mut tx, &tenant, WEBHOOK_DISABLED).await?;
            for purpose in [LinkPurpose::Invite, LinkPurpose::PasswordReset] {
                links::withdraw_for_user(&mut tx, &tenant, user_id, purpose).await?;
            }
            if user.role()? == Role::TenantAdmin {
                ensure_an_admin_remains(&mut tx, &tenant).await?;
            }
        }
        let updated = users::get(&mut tx, &tenant, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if active {
            tx.commit().await?;
        } else {
            // The owner's user-level webhooks were disabled.
            self.db().commit_webhook_change(tx, &tenant).await?;
        }
        tracing::info!(%user_id, tenant_id = %tenant, active, by = caller.user_id(), "user status changed");
        summary(&updated)
    }

    /// Issues a one-time password-reset link for a user (or a fresh invite link, when they
    /// have not accepted their invitation yet).
    pub async fn password_reset_link(&self, caller: &Caller, user_id: &str) -> Result<OneTimeLink> {
        require_tenant_admin(caller)?;
        let tenant = TenantId::of(caller);
        let mut tx = self.db().begin().await?;
        let user = users::get(&mut tx, &tenant, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let purpose = match user.status()? {
            UserStatus::Active => LinkPurpose::PasswordReset,
            UserStatus::Invited => LinkPurpose::Invite,
            UserStatus::Deactivated => {
                return Err(AppError::Conflict(
                    "This user is deactivated: activate them first.".into(),
                )
                .into())
            }
        };
        let link = self
            .issue_link(&mut tx, &tenant, purpose, Some(user_id))
            .await?;
        tx.commit().await?;
        tracing::info!(%user_id, tenant_id = %tenant, by = caller.user_id(), link = purpose.as_str(), "link issued");
        Ok(link)
    }
}

/// The invariant that changes to a tenant's TenantAdmins are serialised on: without it, two
/// admins demoting each other at once could each see the other still in office.
fn admins_invariant(tenant: &TenantId) -> String {
    format!("active-tenant-admin:{tenant}")
}

/// Refuses a change that would leave the tenant without an active TenantAdmin.
async fn ensure_an_admin_remains(conn: &mut sqlx::AnyConnection, tenant: &TenantId) -> Result<()> {
    if users::count_active_admins(conn, tenant).await? == 0 {
        return Err(AppError::Conflict(
            "The tenant needs at least one active TenantAdmin: make someone else TenantAdmin first."
                .into(),
        )
        .into());
    }
    Ok(())
}
