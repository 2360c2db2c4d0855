//! API keys (SPEC §1): created by TenantAdmins for a user of the tenant, shown once, used as
//! `Authorization: Bearer <key>`, revocable. A key acts with its owner's current role,
//! limited by its scopes.

use app::{
    accounts::{ApiKeySummary, Caller, CreatedApiKey, Role, Scope, UserStatus},
    error::AppError,
    validation::accounts as rules,
};

use super::{
    millis, new_id, require_tenant_admin,
    secrets::{api_key_prefix, digest, digests_match, NewApiKey},
    Accounts, TOUCH_EVERY,
};
use crate::{
    db::{api_keys, users, TenantId},
    error::{Error, Result},
    timestamps::rfc3339,
};

fn summary(key: &api_keys::ApiKeyRow) -> Result<ApiKeySummary> {
    Ok(ApiKeySummary {
        id: key.id.clone(),
        name: key.name.clone(),
        prefix: format!("herald_{}", key.prefix),
        owner_id: key.user_id.clone(),
        owner_email: key.owner_email.clone(),
        scopes: parse_scopes(key)?,
        created_at: rfc3339(key.created_at),
        last_used_at: key.last_used_at.map(rfc3339),
        revoked_at: key.revoked_at.map(rfc3339),
    })
}

fn parse_scopes(key: &api_keys::ApiKeyRow) -> Result<Vec<Scope>> {
    key.scopes
        .split(' ')
        .map(|word| {
            Scope::parse(word).ok_or_else(|| {
                Error::Internal(format!("API key {} has unknown scope {word}", key.id))
            })
        })
        .collect()
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Accounts {
    pub async fn list_api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeySummary>> {
        require_tenant_admin(caller)?;
        let mut conn = self.db().connection().await?;
        api_keys::list(&mut conn, &TenantId::of(caller))
            .await?
            .iter()
            .map(summary)
            .collect()
    }

    /// Creates a key for `owner_id` (an active user of the caller's tenant). The returned key
    /// is the only copy: only its digest is stored.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        owner_id: &str,
        name: &str,
        scopes: &[Scope],
    ) -> Result<CreatedApiKey> {
        require_tenant_admin(caller)?;
        self.create_api_key_in(&TenantId::of(caller), owner_id, name, scopes)
            .await
    }

    /// Creates a key in `tenant`, for an operator command or a TenantAdmin.
    pub(super) async fn create_api_key_in(
        &self,
        tenant: &TenantId,
        owner_id: &str,
        name: &str,
        scopes: &[Scope],
    ) -> Result<CreatedApiKey> {
        let name = rules::api_key_name("/name", name)?;
        let scopes = rules::scopes("/scopes", scopes)?;
        let mut tx = self.db().begin().await?;
        let owner = users::get(&mut tx, tenant, owner_id).await?;
        if owner.map(|owner| owner.status()).transpose()? != Some(UserStatus::Active) {
            return Err(
                AppError::invalid("/ownerId", "Choose an active user of this tenant.").into(),
            );
        }
        let generated = NewApiKey::generate()?;
        let id = new_id();
        api_keys::insert(
            &mut tx,
            tenant,
            &api_keys::NewKey {
                id: &id,
                user_id: owner_id,
                name: &name,
                prefix: &generated.prefix,
                secret_hash: &digest(&generated.key),
                scopes: &scopes_text(&scopes),
                now: self.now_millis(),
            },
        )
        .await?;
        let row = api_keys::get(&mut tx, tenant, &id)
            .await?
            .ok_or_else(|| Error::Internal("the new API key vanished".into()))?;
        tx.commit().await?;
        tracing::info!(key_id = %id, tenant_id = %tenant, owner_id, "API key created");
        Ok(CreatedApiKey {
            summary: summary(&row)?,
            key: generated.key,
        })
    }

    pub async fn revoke_api_key(&self, caller: &Caller, key_id: &str) -> Result<ApiKeySummary> {
        require_tenant_admin(caller)?;
        let tenant = TenantId::of(caller);
        let mut tx = self.db().begin().await?;
        api_keys::get(&mut tx, &tenant, key_id)
            .await?
            .ok_or(AppError::NotFound)?;
        api_keys::revoke(&mut tx, &tenant, key_id, self.now_millis()).await?;
        let row = api_keys::get(&mut tx, &tenant, key_id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        tracing::info!(%key_id, tenant_id = %tenant, by = caller.user_id(), "API key revoked");
        summary(&row)
    }

    /// The caller behind a presented API key; `Unauthorized` when it is malformed, unknown,
    /// revoked, or its owner is no longer active.
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Caller> {
        let prefix = api_key_prefix(key).ok_or(AppError::Unauthorized)?;
        let mut conn = self.db().connection().await?;
        let row = api_keys::find_by_prefix_instance_wide(&mut conn, prefix)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let owner_active = UserStatus::parse(&row.owner_status) == Some(UserStatus::Active);
        if !digests_match(&row.secret_hash, &digest(key))
            || row.revoked_at.is_some()
            || !owner_active
        {
            return Err(AppError::Unauthorized.into());
        }
        let role = Role::parse(&row.owner_role)
            .ok_or_else(|| Error::Internal(format!("user {} has unknown role", row.user_id)))?;
        let now = self.now_millis();
        let tenant = TenantId::from_stored(row.tenant_id.clone());
        let stale = row
            .last_used_at
            .is_none_or(|used| now - used >= millis(TOUCH_EVERY));
        if stale {
            api_keys::touch_last_used(&mut conn, &tenant, &row.id, now).await?;
        }
        let scopes = parse_scopes(&row)?;
        Ok(Caller::api_key(row.tenant_id, row.user_id, role, scopes))
    }
}
