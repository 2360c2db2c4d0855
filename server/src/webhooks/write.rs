//! Creating and replacing webhooks: one path that resolves defaults, checks permissions,
//! validates, seals write-only values and writes in one transaction.

use app::{
    accounts::{Caller, UserStatus},
    error::AppError,
    validation::webhook as rules,
    webhooks::{Origin, Webhook},
};

use super::{
    access, catalogue,
    document::{header_value_needed, Body},
    stored, visible_row, Webhooks,
};
use crate::{
    db::{deliveries, serialize_on, users, webhooks, webhooks::WebhookRow, TenantId},
    delivery::WEBHOOK_DISABLED,
    error::Result,
};

/// What kind of write it is, with what the client sent.
pub(super) enum Write {
    /// POST: `enabled` defaults to true, `origin` to `default_origin`.
    Create { body: Body, default_origin: Origin },
    /// PUT: a full replace; omitted `enabled` is false, an omitted secret is removed, omitted
    /// `level` and `ownerId` keep their stored values.
    Replace { id: String, body: Body },
    /// A JSON Patch, applied inside the write's transaction to the stored webhook; the secret
    /// stays unless the patch touched it.
    Patch {
        id: String,
        patch: json_patch::Patch,
        secret_touched: bool,
    },
}

impl Webhooks {
    /// `POST …/webhooks` (or the console's create): the new webhook.
    pub async fn create(
        &self,
        caller: &Caller,
        body: Body,
        default_origin: Origin,
    ) -> Result<Webhook> {
        self.write(
            caller,
            Write::Create {
                body,
                default_origin,
            },
        )
        .await
    }

    /// `PUT …/webhooks/{id}`: replaces every writable field.
    pub async fn replace(&self, caller: &Caller, id: &str, body: Body) -> Result<Webhook> {
        self.write(
            caller,
            Write::Replace {
                id: id.to_owned(),
                body,
            },
        )
        .await
    }

    pub(super) async fn write(&self, caller: &Caller, mut kind: Write) -> Result<Webhook> {
        access::require_webhooks_scope(caller)?;
        let tenant = TenantId::of(caller);
        let now = self.now_millis();
        let mut tx = self.db().begin().await?;
        // Writes to one webhook run one after another, so a patch applies to what is stored.
        // Event types are read under their own lock, so a custom type cannot be deleted while
        // a webhook subscribes to it.
        let existing = match &kind {
            Write::Create { .. } => None,
            Write::Replace { id, .. } | Write::Patch { id, .. } => {
                serialize_on(&mut tx, &format!("webhook:{id}")).await?;
                Some(visible_row(&mut tx, caller, id).await?)
            }
        };
        serialize_on(&mut tx, &catalogue::lock_name(&tenant)).await?;
        let body = match (&mut kind, &existing) {
            (Write::Create { body, .. } | Write::Replace { body, .. }, _) => std::mem::take(body),
            (Write::Patch { patch, .. }, Some(row)) => {
                super::patch::patched_body(&mut tx, &tenant, row, patch).await?
            }
            (Write::Patch { .. }, None) => return Err(AppError::NotFound.into()),
        };
        let previous_level = existing.as_ref().map(stored::level).transpose()?;
        let draft = &body.draft;

        let level = draft
            .level
            .or(previous_level)
            .unwrap_or_else(|| access::default_level(caller));
        access::check_level(caller, level, previous_level)?;
        let owner_id = draft
            .owner_id
            .clone()
            .or_else(|| existing.as_ref().map(|row| row.owner_id.clone()))
            .unwrap_or_else(|| caller.user_id().to_owned());
        access::check_owner(caller, &owner_id)?;
        let owner = users::get(&mut tx, &tenant, &owner_id).await?;
        if owner.map(|owner| owner.status()).transpose()? != Some(UserStatus::Active) {
            return Err(rules::owner_not_active().into());
        }

        let catalogue = catalogue::of_tenant(&mut tx, &tenant).await?;
        let checked = rules::webhook(draft, level, &catalogue)?;

        let owner_changed = existing.as_ref().map(|row| row.owner_id != owner_id);
        if owner_changed != Some(false) {
            self.check_quotas(&mut tx, &tenant, &owner_id, existing.is_none())
                .await?;
        }

        let id = match &existing {
            Some(row) => row.id.clone(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let keyring = &self.inner.keyring;
        // Values a patch left as they were (`null` in its document): taken from storage, unless
        // the URL changed, which would send them somewhere new without the client saying so.
        let mut encrypted = checked.encrypted_headers.clone();
        if let (Some(row), false) = (&existing, body.kept_encrypted_headers.is_empty()) {
            let mut stored_values = stored::open_encrypted_headers(keyring, row)?;
            for name in &body.kept_encrypted_headers {
                let value = stored_values
                    .remove(name)
                    .ok_or_else(|| header_value_needed("encryptedHeaders", name))?;
                if row.url != checked.url {
                    return Err(rules::encrypted_headers_needed(name).into());
                }
                encrypted.insert(name.clone(), value);
            }
        }
        rules::headers(&checked.headers, &encrypted)?;

        let secret = match (&kind, &existing) {
            (
                Write::Patch {
                    secret_touched: false,
                    ..
                },
                Some(row),
            ) => row.secret.clone(),
            _ => checked
                .secret
                .as_deref()
                .map(|secret| keyring.seal(&stored::secret_context(&id), secret))
                .transpose()?,
        };
        let sealed_headers = if encrypted.is_empty() {
            None
        } else {
            let json = serde_json::to_string(&encrypted)
                .map_err(|error| crate::error::Error::Internal(error.to_string()))?;
            Some(keyring.seal(&stored::encrypted_headers_context(&id), &json)?)
        };

        let enabled = match (&kind, checked.enabled) {
            (_, Some(enabled)) => enabled,
            (Write::Create { .. }, None) => true,
            (_, None) => false,
        };
        let was_enabled = existing.as_ref().map(|row| row.enabled != 0);
        let (disabled_reason, disabled_reason_code) = match (enabled, was_enabled, &existing) {
            // Still disabled: Herald's reason, if it gave one, stays.
            (false, Some(false), Some(row)) => (
                row.disabled_reason.clone(),
                row.disabled_reason_code.clone(),
            ),
            _ => (None, None),
        };
        let origin = match (&kind, &existing) {
            (Write::Create { default_origin, .. }, _) => checked.origin.unwrap_or(*default_origin),
            (_, Some(row)) => Origin::parse(&row.origin).unwrap_or(Origin::Api),
            (_, None) => Origin::Api,
        };
        let row = WebhookRow {
            id: id.clone(),
            tenant_id: tenant.as_str().to_owned(),
            name: checked.name.clone(),
            description: checked.description.clone(),
            url: checked.url.clone(),
            filter: checked.filter.clone(),
            headers: json_text(&checked.headers)?,
            encrypted_headers: sealed_headers,
            encrypted_header_names: json_text(&encrypted.keys().collect::<Vec<_>>())?,
            secret,
            enabled: i64::from(enabled),
            disabled_reason,
            disabled_reason_code,
            level: level.as_str().to_owned(),
            owner_id,
            origin: origin.as_str().to_owned(),
            enable_cloud_event_delivery: i64::from(checked.enable_cloud_event_delivery),
            check_certificate_revocation: 0,
            created_at: existing.as_ref().map_or(now, |row| row.created_at),
            updated_at: now,
            created_by_user_id: existing.as_ref().map_or_else(
                || caller.user_id().to_owned(),
                |row| row.created_by_user_id.clone(),
            ),
            updated_by_user_id: caller.user_id().to_owned(),
        };
        if existing.is_some() {
            webhooks::update(&mut tx, &tenant, &row, &checked.event_types).await?;
            match (was_enabled, enabled) {
                // Disabled by a person: what was still pending ends now.
                (Some(true), false) => {
                    deliveries::end_pending_of_disabled(&mut tx, &tenant, WEBHOOK_DISABLED).await?;
                }
                // Enabled again: the failure threshold starts over.
                (Some(false), true) => webhooks::reset_failures(&mut tx, &id).await?,
                _ => {}
            }
            self.db().commit_webhook_change(tx, &tenant).await?;
        } else {
            webhooks::insert(&mut tx, &tenant, &row, &checked.event_types).await?;
            tx.commit().await?;
        }
        tracing::info!(
            webhook_id = %id,
            tenant_id = %tenant,
            by = caller.user_id(),
            created = existing.is_none(),
            "webhook saved"
        );
        stored::to_webhook(&row, checked.event_types)
    }

    /// Refuses a webhook beyond the tenant's or the owner's quota. Writes that count are
    /// serialised per tenant, so two at once cannot both take the last place.
    async fn check_quotas(
        &self,
        tx: &mut sqlx::AnyConnection,
        tenant: &TenantId,
        owner_id: &str,
        new_webhook: bool,
    ) -> Result<()> {
        serialize_on(tx, &format!("webhook-quota:{tenant}")).await?;
        let (in_tenant, owned) = webhooks::counts(tx, tenant, owner_id).await?;
        let settings = self.inner.settings;
        if new_webhook && in_tenant >= settings.per_tenant {
            return Err(AppError::Forbidden(format!(
                "This tenant has reached its limit of {} webhooks: delete one first.",
                settings.per_tenant
            ))
            .into());
        }
        if owned >= settings.per_owner {
            return Err(AppError::Forbidden(format!(
                "This owner has reached the limit of {} webhooks.",
                settings.per_owner
            ))
            .into());
        }
        Ok(())
    }
}

fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|error| crate::error::Error::Internal(error.to_string()))
}
