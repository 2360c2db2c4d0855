//! Each tenant's event-type catalogue (SPEC §3): the built-in types plus the tenant's own.

use app::{
    accounts::Caller,
    event_types::{built_in, EventType, Level},
};
use sqlx::AnyConnection;

use super::{access, Webhooks};
use crate::{
    db::{event_types, TenantId},
    error::{Error, Result},
};

/// The types webhooks of `tenant` may subscribe to: built-in first, then custom by name.
pub async fn of_tenant(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<EventType>> {
    let mut catalogue = built_in();
    for row in event_types::list(conn, tenant).await? {
        let levels = parse_levels(&row)?;
        catalogue.push(EventType {
            name: row.name,
            title: row.title,
            description: row.description,
            levels,
            category: row.category,
        });
    }
    Ok(catalogue)
}

/// The lock that orders webhook writes (which read the catalogue) and deletions of custom
/// types (which check that no webhook uses them) within a tenant.
pub fn lock_name(tenant: &TenantId) -> String {
    format!("event-types:{tenant}")
}

/// The levels of a stored custom type.
pub fn parse_levels(row: &event_types::CustomEventTypeRow) -> Result<Vec<Level>> {
    row.levels
        .split(' ')
        .map(|level| {
            Level::parse(level).ok_or_else(|| {
                Error::Internal(format!("event type {} has unknown level {level}", row.name))
            })
        })
        .collect()
}

impl Webhooks {
    /// The caller's tenant catalogue.
    pub async fn event_types(&self, caller: &Caller) -> Result<Vec<EventType>> {
        access::require_webhooks_scope(caller)?;
        let mut conn = self.db().connection().await?;
        of_tenant(&mut conn, &TenantId::of(caller)).await
    }
}
