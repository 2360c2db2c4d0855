//! What the console's server functions need from the server, declared here so that `app`
//! never depends on `server` (which implements it over its services and provides it as
//! context to every server function).

use std::sync::Arc;

use async_trait::async_trait;
use http::request::Parts;

use crate::{
    accounts::{
        ApiKeySummary, Caller, CreatedApiKey, LinkDetails, LinkPurpose, OneTimeLink, Person, Role,
        Scope, UserSummary,
    },
    deliveries::{Delivery, DeliveryPage},
    error::AppError,
    event_types::{CustomEventType, EventType},
    webhooks::{Webhook, WebhookDraft, WebhookPage},
};

/// A `Set-Cookie` header value for the response.
pub struct SetCookie(pub String);

/// A user's editable details, as the Users page sends them.
#[derive(Debug, Clone)]
pub struct UserDetails {
    pub display_name: String,
    pub role: Role,
    pub external_id: String,
}

/// The server's services, as the console's server functions call them. Every method that acts
/// inside a tenant takes the request's [`Caller`].
#[async_trait]
pub trait ConsoleBackend: Send + Sync + 'static {
    /// Signs in; the request supplies the client address and any session to rotate.
    async fn sign_in(
        &self,
        request: &Parts,
        email: &str,
        password: &str,
    ) -> Result<SetCookie, AppError>;
    /// Ends the request's session.
    async fn sign_out(&self, request: &Parts) -> Result<SetCookie, AppError>;

    async fn link_details(
        &self,
        purpose: LinkPurpose,
        token: &str,
    ) -> Result<LinkDetails, AppError>;
    async fn complete_setup(
        &self,
        token: &str,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> Result<SetCookie, AppError>;
    async fn accept_invite(
        &self,
        token: &str,
        display_name: &str,
        password: &str,
    ) -> Result<SetCookie, AppError>;
    async fn reset_password(&self, token: &str, password: &str) -> Result<SetCookie, AppError>;

    async fn list_users(&self, caller: &Caller) -> Result<Vec<UserSummary>, AppError>;
    async fn invite_user(
        &self,
        caller: &Caller,
        email: &str,
        details: &UserDetails,
    ) -> Result<OneTimeLink, AppError>;
    async fn update_user(
        &self,
        caller: &Caller,
        user_id: &str,
        details: &UserDetails,
    ) -> Result<UserSummary, AppError>;
    async fn set_user_active(
        &self,
        caller: &Caller,
        user_id: &str,
        active: bool,
    ) -> Result<UserSummary, AppError>;
    async fn password_reset_link(
        &self,
        caller: &Caller,
        user_id: &str,
    ) -> Result<OneTimeLink, AppError>;

    /// The users a webhook's owner can be shown as or chosen from.
    async fn people(&self, caller: &Caller) -> Result<Vec<Person>, AppError>;

    async fn list_api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeySummary>, AppError>;
    async fn create_api_key(
        &self,
        caller: &Caller,
        owner_id: &str,
        name: &str,
        scopes: &[Scope],
    ) -> Result<CreatedApiKey, AppError>;
    async fn revoke_api_key(
        &self,
        caller: &Caller,
        key_id: &str,
    ) -> Result<ApiKeySummary, AppError>;

    /// One page of webhooks; `query` is a list query string as the REST API takes it
    /// (`sort`, filters, `limit`, `next`/`prev`), which the console keeps in its URL.
    async fn list_webhooks(&self, caller: &Caller, query: &str) -> Result<WebhookPage, AppError>;
    async fn get_webhook(&self, caller: &Caller, id: &str) -> Result<Webhook, AppError>;
    /// Creates a webhook whose origin is the management console.
    async fn create_webhook(
        &self,
        caller: &Caller,
        draft: WebhookDraft,
    ) -> Result<Webhook, AppError>;
    /// Applies a JSON Patch (the edit panel sends only what changed).
    async fn patch_webhook(
        &self,
        caller: &Caller,
        id: &str,
        operations: serde_json::Value,
    ) -> Result<Webhook, AppError>;
    async fn delete_webhook(&self, caller: &Caller, id: &str) -> Result<(), AppError>;
    /// A new random signing secret for the create and edit panels to offer.
    fn generate_secret(&self) -> Result<String, AppError>;

    /// The tenant's catalogue: built-in and custom types.
    async fn event_types(&self, caller: &Caller) -> Result<Vec<EventType>, AppError>;
    /// The tenant's custom types with their example `data`.
    async fn custom_event_types(&self, caller: &Caller) -> Result<Vec<CustomEventType>, AppError>;
    async fn create_event_type(
        &self,
        caller: &Caller,
        event_type: &EventType,
        example_data: &str,
    ) -> Result<CustomEventType, AppError>;
    async fn delete_event_type(&self, caller: &Caller, name: &str) -> Result<(), AppError>;

    /// One page of a webhook's deliveries; `query` as the REST API's deliveries list takes it.
    async fn list_deliveries(
        &self,
        caller: &Caller,
        webhook_id: &str,
        query: &str,
    ) -> Result<DeliveryPage, AppError>;
    async fn get_delivery(
        &self,
        caller: &Caller,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<Delivery, AppError>;
    async fn resend_delivery(
        &self,
        caller: &Caller,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<Delivery, AppError>;
    /// Queues a test event; the new delivery's id.
    async fn send_test_event(
        &self,
        caller: &Caller,
        webhook_id: &str,
        event_type: &str,
    ) -> Result<String, AppError>;
}

/// The backend as server functions find it in their context.
#[derive(Clone)]
pub struct Backend(pub Arc<dyn ConsoleBackend>);
