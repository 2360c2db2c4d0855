//! Server functions for webhooks and the event-type catalogue. Each one calls the webhooks
//! service through the backend, exactly as the REST handlers do.

use leptos::{prelude::*, server_fn::codec::Json};
use serde_json::Value;

use crate::{
    accounts::Person,
    error::AppError,
    event_types::{CustomEventType, EventType},
    webhooks::{Webhook, WebhookDraft, WebhookPage},
};

#[cfg(feature = "ssr")]
use super::context::{backend, caller};

/// One page of the webhooks the signed-in user can see; `query` is the list query string
/// (`sort=name&name=orders&limit=20&next=…`), as the REST API takes it.
#[server(endpoint = "list_webhooks", input = Json)]
pub async fn list_webhooks(query: String) -> Result<WebhookPage, AppError> {
    backend()?.list_webhooks(&caller()?, &query).await
}

#[server(endpoint = "get_webhook", input = Json)]
pub async fn get_webhook(id: String) -> Result<Webhook, AppError> {
    backend()?.get_webhook(&caller()?, &id).await
}

/// Creates a webhook; its origin is the management console.
#[server(endpoint = "create_webhook", input = Json)]
pub async fn create_webhook(draft: WebhookDraft) -> Result<Webhook, AppError> {
    backend()?.create_webhook(&caller()?, draft).await
}

/// Applies a JSON Patch (RFC 6902, add/remove/replace) and returns the result.
#[server(endpoint = "patch_webhook", input = Json)]
pub async fn patch_webhook(id: String, operations: Value) -> Result<Webhook, AppError> {
    backend()?.patch_webhook(&caller()?, &id, operations).await
}

/// Deletes the given webhooks one by one, stopping at the first that cannot be deleted: the
/// error names it, and the ones before it are gone. One that is already gone counts as
/// deleted, so trying again after a failure finishes the job.
#[server(endpoint = "delete_webhooks", input = Json)]
pub async fn delete_webhooks(ids: Vec<String>) -> Result<(), AppError> {
    let caller = caller()?;
    let backend = backend()?;
    for id in &ids {
        match backend.delete_webhook(&caller, id).await {
            Ok(()) | Err(AppError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// A new random 48-character signing secret, for a person to copy before saving it.
#[server(endpoint = "generate_secret")]
pub async fn generate_secret() -> Result<String, AppError> {
    caller()?;
    backend()?.generate_secret()
}

/// The users a webhook's owner is shown as and chosen from (only the caller for "Use
/// webhooks").
#[server(endpoint = "people")]
pub async fn people() -> Result<Vec<Person>, AppError> {
    backend()?.people(&caller()?).await
}

/// The tenant's catalogue, built-in and custom types.
#[server(endpoint = "event_types")]
pub async fn event_types() -> Result<Vec<EventType>, AppError> {
    backend()?.event_types(&caller()?).await
}

/// The tenant's custom types with their example `data` (TenantAdmins).
#[server(endpoint = "custom_event_types")]
pub async fn custom_event_types() -> Result<Vec<CustomEventType>, AppError> {
    backend()?.custom_event_types(&caller()?).await
}

/// Adds a custom type; `example_data` is the JSON text of its example `data`.
#[server(endpoint = "create_event_type", input = Json)]
pub async fn create_event_type(
    event_type: EventType,
    example_data: String,
) -> Result<CustomEventType, AppError> {
    backend()?
        .create_event_type(&caller()?, &event_type, &example_data)
        .await
}

/// Deletes a custom type no webhook uses.
#[server(endpoint = "delete_event_type", input = Json)]
pub async fn delete_event_type(name: String) -> Result<(), AppError> {
    backend()?.delete_event_type(&caller()?, &name).await
}
