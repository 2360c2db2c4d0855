//! Getting in without default passwords (SPEC §4.3): the first tenant, the setup link printed
//! on first start, and the operator commands' account tasks.

use app::{
    accounts::{CreatedApiKey, LinkPurpose, OneTimeLink, Role, Scope, UserStatus, UserSummary},
    error::AppError,
    validation::accounts as rules,
};

use super::{
    new_id, password,
    users::{explain_conflict, summary},
    Accounts,
};
use crate::{
    db::{links, serialize_on, tenants, users, TenantId},
    error::{Error, Result},
};

/// The name of the tenant a fresh install starts with.
pub const FIRST_TENANT_NAME: &str = "Default";

impl Accounts {
    /// On start: makes sure a tenant exists and, while the instance has no user at all,
    /// issues a setup link for the first TenantAdmin (replacing any earlier unused one).
    pub async fn bootstrap(&self) -> Result<Option<OneTimeLink>> {
        let mut tx = self.db().begin().await?;
        let tenant = self.first_tenant(&mut tx).await?;
        let link = if users::any_instance_wide(&mut tx).await? {
            None
        } else {
            Some(
                self.issue_link(&mut tx, &tenant, LinkPurpose::Setup, None)
                    .await?,
            )
        };
        tx.commit().await?;
        Ok(link)
    }

    /// The oldest tenant, created (as "Default") when there is none yet. Several nodes starting
    /// at once on one PostgreSQL create one tenant between them.
    async fn first_tenant(&self, tx: &mut sqlx::AnyConnection) -> Result<TenantId> {
        serialize_on(tx, "first-tenant").await?;
        match tenants::list_instance_wide(tx).await?.into_iter().next() {
            Some(tenant) => Ok(TenantId::from_stored(tenant.id)),
            None => tenants::insert(tx, &new_id(), FIRST_TENANT_NAME, self.now_millis()).await,
        }
    }

    /// `herald tenant create`: a new tenant and the setup link for its first TenantAdmin.
    pub async fn create_tenant(&self, name: &str) -> Result<(TenantId, OneTimeLink)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 128 {
            return Err(AppError::invalid(
                "/name",
                "Give the tenant a name of 1 to 128 characters.",
            )
            .into());
        }
        let mut tx = self.db().begin().await?;
        let tenant = tenants::insert(&mut tx, &new_id(), name, self.now_millis()).await?;
        let link = self
            .issue_link(&mut tx, &tenant, LinkPurpose::Setup, None)
            .await?;
        tx.commit().await?;
        Ok((tenant, link))
    }

    /// The tenant an operator command means: the one named, or the only one there is (on a
    /// fresh install, the first tenant is created, as the first start would).
    pub async fn operator_tenant(&self, id: Option<&str>) -> Result<TenantId> {
        let mut tx = self.db().begin().await?;
        let tenant = match id {
            Some(id) => tenants::find_instance_wide(&mut tx, id)
                .await?
                .map(|tenant| TenantId::from_stored(tenant.id))
                .ok_or_else(|| AppError::invalid("/tenant", format!("There is no tenant {id}.")))?,
            None => {
                let all = tenants::list_instance_wide(&mut tx).await?;
                match all.as_slice() {
                    [only] => TenantId::from_stored(only.id.clone()),
                    [] => self.first_tenant(&mut tx).await?,
                    _ => {
                        return Err(AppError::invalid(
                            "/tenant",
                            "There are several tenants: name one with --tenant.",
                        )
                        .into())
                    }
                }
            }
        };
        tx.commit().await?;
        Ok(tenant)
    }

    /// `herald admin create`: an active TenantAdmin with the given password.
    pub async fn create_admin(
        &self,
        tenant: &TenantId,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> Result<UserSummary> {
        let email = rules::email("/email", email)?;
        let display_name = rules::display_name("/displayName", display_name)?;
        let password = rules::new_password("/password", password)?;
        let password_hash = password::hash(password).await?;
        let mut tx = self.db().begin().await?;
        let user_id = self
            .insert_tenant_admin(&mut tx, tenant, &email, &display_name, &password_hash)
            .await?;
        let user = users::get(&mut tx, tenant, &user_id)
            .await?
            .ok_or_else(|| Error::Internal("the new user vanished".into()))?;
        tx.commit().await?;
        tracing::info!(%user_id, tenant_id = %tenant, "TenantAdmin created by an operator command");
        summary(&user)
    }

    /// Adds an active TenantAdmin with a password and withdraws the tenant's unused setup links:
    /// once a tenant has an admin, nobody can claim it with a link printed earlier.
    pub(super) async fn insert_tenant_admin(
        &self,
        tx: &mut sqlx::AnyConnection,
        tenant: &TenantId,
        email: &str,
        display_name: &str,
        password_hash: &str,
    ) -> Result<String> {
        let user_id = new_id();
        users::insert(
            tx,
            tenant,
            &users::NewUser {
                id: &user_id,
                email,
                display_name,
                external_id: None,
                role: Role::TenantAdmin,
                status: UserStatus::Active,
                password_hash: Some(password_hash),
                now: self.now_millis(),
            },
        )
        .await
        .map_err(|error| explain_conflict(error, true))?;
        links::withdraw_setup_links(tx, tenant).await?;
        Ok(user_id)
    }

    /// `herald api-key create`: a key for the user with `email`, in that user's tenant.
    pub async fn create_api_key_for_email(
        &self,
        email: &str,
        name: &str,
        scopes: &[Scope],
    ) -> Result<CreatedApiKey> {
        let email = rules::email("/email", email)?;
        let mut conn = self.db().connection().await?;
        let owner = users::find_by_email_instance_wide(&mut conn, &email)
            .await?
            .ok_or_else(|| AppError::invalid("/email", format!("There is no user {email}.")))?;
        drop(conn);
        self.create_api_key_in(&owner.tenant(), &owner.id, name, scopes)
            .await
    }
}
