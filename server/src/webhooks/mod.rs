//! The webhooks service: the only writer of webhooks. The REST API and the
//! console's server functions both call it with the request's [`Caller`]; permissions, quotas,
//! validation and secrets at rest are decided here, once.

pub mod access;
pub mod catalogue;
mod custom_types;
pub mod document;
pub mod list;
mod patch;
pub mod stored;
mod write;

use std::sync::Arc;

use app::{accounts::Caller, error::AppError, webhooks::Webhook};

use crate::{
    clock::SharedClock,
    crypto::Keyring,
    db::{serialize_on, webhooks, Database, TenantId},
    error::Result,
};

pub use document::BodyKind;
pub use list::{query_pairs, ListRequest};

/// Limits on how many webhooks may exist, per tenant and per owner.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    pub per_tenant: i64,
    pub per_owner: i64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            per_tenant: 100,
            per_owner: 150,
        }
    }
}

/// The webhooks service.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    clock: SharedClock,
    keyring: Arc<Keyring>,
    settings: WebhookSettings,
}

impl Webhooks {
    pub fn new(
        db: Database,
        clock: SharedClock,
        keyring: Arc<Keyring>,
        settings: WebhookSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                clock,
                keyring,
                settings,
            }),
        }
    }

    fn db(&self) -> &Database {
        &self.inner.db
    }

    fn now_millis(&self) -> i64 {
        crate::timestamps::to_millis(self.inner.clock.now())
    }

    /// One webhook the caller can see.
    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Webhook> {
        access::require_webhooks_scope(caller)?;
        let mut conn = self.db().connection().await?;
        let row = visible_row(&mut conn, caller, id).await?;
        let mut types = webhooks::event_types_of(&mut conn, &TenantId::of(caller), &[id]).await?;
        stored::to_webhook(&row, types.remove(id).unwrap_or_default())
    }

    /// Deletes a webhook the caller can see.
    pub async fn delete(&self, caller: &Caller, id: &str) -> Result<()> {
        access::require_webhooks_scope(caller)?;
        let tenant = TenantId::of(caller);
        let mut tx = self.db().begin().await?;
        // Ordered with writes to the same webhook, so a PUT or PATCH never updates a row that
        // a delete removed meanwhile.
        serialize_on(&mut tx, &format!("webhook:{id}")).await?;
        visible_row(&mut tx, caller, id).await?;
        webhooks::delete(&mut tx, &tenant, id).await?;
        self.db().commit_webhook_change(tx, &tenant).await?;
        tracing::info!(webhook_id = id, tenant_id = %tenant, by = caller.user_id(), "webhook deleted");
        Ok(())
    }
}

/// The row of a webhook the caller may see; anything else is "not found".
pub(crate) async fn visible_row(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<webhooks::WebhookRow> {
    let row = webhooks::get(conn, &TenantId::of(caller), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if access::can_see(caller, stored::level(&row)?, &row.owner_id) {
        Ok(row)
    } else {
        Err(AppError::NotFound.into())
    }
}
