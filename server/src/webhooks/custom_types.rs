//! Custom event types (SPEC §3): TenantAdmins add types to their tenant's catalogue, with an
//! example `data`, and delete those no webhook uses.

use app::{
    accounts::Caller,
    error::AppError,
    event_types::{CustomEventType, EventType},
    validation::event_type as rules,
};

use super::{
    access,
    catalogue::{lock_name, parse_levels},
    Webhooks,
};
use crate::{
    db::{event_types, serialize_on, webhooks, TenantId},
    error::{is_unique_violation, Result},
};

fn require_tenant_admin(caller: &Caller) -> Result<()> {
    if caller.is_tenant_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only a TenantAdmin can manage custom event types.".into()).into())
    }
}

impl Webhooks {
    /// The tenant's custom types with their examples, for the TenantAdmins who manage them
    /// (everyone else sees them in the catalogue).
    pub async fn custom_event_types(&self, caller: &Caller) -> Result<Vec<CustomEventType>> {
        access::require_webhooks_scope(caller)?;
        require_tenant_admin(caller)?;
        let mut conn = self.db().connection().await?;
        event_types::list(&mut conn, &TenantId::of(caller))
            .await?
            .into_iter()
            .map(|row| {
                Ok(CustomEventType {
                    event_type: EventType {
                        levels: parse_levels(&row)?,
                        name: row.name,
                        title: row.title,
                        description: row.description,
                        category: row.category,
                    },
                    example_data: row.example_data,
                })
            })
            .collect()
    }

    /// Adds a custom type to the caller's tenant.
    pub async fn create_event_type(
        &self,
        caller: &Caller,
        draft: &EventType,
        example_data: &str,
    ) -> Result<CustomEventType> {
        access::require_webhooks_scope(caller)?;
        require_tenant_admin(caller)?;
        let (checked, example) = rules::custom_event_type(draft, example_data)?;
        let tenant = TenantId::of(caller);
        let mut conn = self.db().connection().await?;
        let row = event_types::CustomEventTypeRow {
            name: checked.name.clone(),
            title: checked.title.clone(),
            description: checked.description.clone(),
            levels: checked
                .levels
                .iter()
                .map(|level| level.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            category: checked.category.clone(),
            example_data: example.clone(),
            created_at: self.now_millis(),
        };
        event_types::insert(&mut conn, &tenant, &row)
            .await
            .map_err(|error| {
                if is_unique_violation(&error) {
                    AppError::Conflict(format!("The tenant already has the type {}.", row.name))
                        .into()
                } else {
                    error
                }
            })?;
        tracing::info!(tenant_id = %tenant, event_type = %row.name, by = caller.user_id(), "custom event type added");
        Ok(CustomEventType {
            event_type: checked,
            example_data: example,
        })
    }

    /// Deletes a custom type that no webhook of the tenant uses.
    pub async fn delete_event_type(&self, caller: &Caller, name: &str) -> Result<()> {
        access::require_webhooks_scope(caller)?;
        require_tenant_admin(caller)?;
        if app::event_types::built_in()
            .iter()
            .any(|known| known.name == name)
        {
            return Err(
                AppError::Conflict(format!("{name} is built in and cannot be deleted.")).into(),
            );
        }
        let tenant = TenantId::of(caller);
        let mut tx = self.db().begin().await?;
        serialize_on(&mut tx, &lock_name(&tenant)).await?;
        if webhooks::any_uses_event_type(&mut tx, &tenant, name).await? {
            return Err(AppError::Conflict(format!(
                "Webhooks subscribe to {name}: remove it from them first."
            ))
            .into());
        }
        if !event_types::delete(&mut tx, &tenant, name).await? {
            return Err(AppError::NotFound.into());
        }
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, event_type = name, by = caller.user_id(), "custom event type deleted");
        Ok(())
    }
}
