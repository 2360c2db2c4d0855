//! [`ConsoleBackend`] over the server's services: the console's server functions end here.

use std::net::{IpAddr, SocketAddr};

use app::{
    accounts::{
        ApiKeySummary, Caller, CreatedApiKey, LinkDetails, LinkPurpose, OneTimeLink, Person, Scope,
        UserSummary,
    },
    backend::{ConsoleBackend, SetCookie, UserDetails},
    deliveries::{Delivery, DeliveryPage},
    error::AppError,
    event_types::{CustomEventType, EventType},
    webhooks::{Origin, Webhook, WebhookDraft, WebhookPage},
};
use async_trait::async_trait;
use axum::extract::ConnectInfo;
use http::request::Parts;

use super::session_token;
use crate::{
    accounts::{client_address::client_address, Accounts, NewSession},
    delivery::{DeliveryEngine, DeliveryListRequest},
    webhooks::{document::Body, query_pairs, ListRequest, Webhooks},
};

/// The services behind the console.
pub struct ServerBackend {
    accounts: Accounts,
    webhooks: Webhooks,
    deliveries: DeliveryEngine,
}

impl ServerBackend {
    pub fn new(accounts: Accounts, webhooks: Webhooks, deliveries: DeliveryEngine) -> Self {
        Self {
            accounts,
            webhooks,
            deliveries,
        }
    }

    fn cookie(&self, session: NewSession) -> SetCookie {
        SetCookie(self.accounts.session_cookie(&session))
    }

    /// The address a sign-in attempt is counted against.
    fn client(&self, request: &Parts) -> Option<IpAddr> {
        let peer = request
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        let forwarded = request
            .headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok());
        client_address(peer, forwarded, &self.accounts.settings().trusted_proxies)
    }
}

fn user_form(details: &UserDetails) -> crate::accounts::UserForm {
    crate::accounts::UserForm {
        display_name: details.display_name.clone(),
        role: details.role,
        external_id: details.external_id.clone(),
    }
}

#[async_trait]
impl ConsoleBackend for ServerBackend {
    async fn sign_in(
        &self,
        request: &Parts,
        email: &str,
        password: &str,
    ) -> Result<SetCookie, AppError> {
        let session = self
            .accounts
            .sign_in(
                email,
                password,
                self.client(request),
                session_token(&request.headers).as_deref(),
            )
            .await?;
        Ok(self.cookie(session))
    }

    async fn sign_out(&self, request: &Parts) -> Result<SetCookie, AppError> {
        if let Some(token) = session_token(&request.headers) {
            self.accounts.sign_out(&token).await?;
        }
        Ok(SetCookie(self.accounts.cleared_session_cookie()))
    }

    async fn link_details(
        &self,
        purpose: LinkPurpose,
        token: &str,
    ) -> Result<LinkDetails, AppError> {
        Ok(self.accounts.link_details(purpose, token).await?)
    }

    async fn complete_setup(
        &self,
        token: &str,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> Result<SetCookie, AppError> {
        let session = self
            .accounts
            .complete_setup(token, email, display_name, password)
            .await?;
        Ok(self.cookie(session))
    }

    async fn accept_invite(
        &self,
        token: &str,
        display_name: &str,
        password: &str,
    ) -> Result<SetCookie, AppError> {
        let session = self
            .accounts
            .accept_invite(token, display_name, password)
            .await?;
        Ok(self.cookie(session))
    }

    async fn reset_password(&self, token: &str, password: &str) -> Result<SetCookie, AppError> {
        let session = self.accounts.reset_password(token, password).await?;
        Ok(self.cookie(session))
    }

    async fn list_users(&self, caller: &Caller) -> Result<Vec<UserSummary>, AppError> {
        Ok(self.accounts.list_users(caller).await?)
    }

    async fn invite_user(
        &self,
        caller: &Caller,
        email: &str,
        details: &UserDetails,
    ) -> Result<OneTimeLink, AppError> {
        let (_, link) = self
            .accounts
            .invite_user(caller, email, &user_form(details))
            .await?;
        Ok(link)
    }

    async fn update_user(
        &self,
        caller: &Caller,
        user_id: &str,
        details: &UserDetails,
    ) -> Result<UserSummary, AppError> {
        Ok(self
            .accounts
            .update_user(caller, user_id, &user_form(details))
            .await?)
    }

    async fn set_user_active(
        &self,
        caller: &Caller,
        user_id: &str,
        active: bool,
    ) -> Result<UserSummary, AppError> {
        Ok(self
            .accounts
            .set_user_active(caller, user_id, active)
            .await?)
    }

    async fn password_reset_link(
        &self,
        caller: &Caller,
        user_id: &str,
    ) -> Result<OneTimeLink, AppError> {
        Ok(self.accounts.password_reset_link(caller, user_id).await?)
    }

    async fn people(&self, caller: &Caller) -> Result<Vec<Person>, AppError> {
        Ok(self.accounts.people(caller).await?)
    }

    async fn list_api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeySummary>, AppError> {
        Ok(self.accounts.list_api_keys(caller).await?)
    }

    async fn create_api_key(
        &self,
        caller: &Caller,
        owner_id: &str,
        name: &str,
        scopes: &[Scope],
    ) -> Result<CreatedApiKey, AppError> {
        Ok(self
            .accounts
            .create_api_key(caller, owner_id, name, scopes)
            .await?)
    }

    async fn revoke_api_key(
        &self,
        caller: &Caller,
        key_id: &str,
    ) -> Result<ApiKeySummary, AppError> {
        Ok(self.accounts.revoke_api_key(caller, key_id).await?)
    }

    async fn list_webhooks(&self, caller: &Caller, query: &str) -> Result<WebhookPage, AppError> {
        let request = ListRequest::from_query(&query_pairs(query))?;
        Ok(self.webhooks.list(caller, &request).await?)
    }

    async fn get_webhook(&self, caller: &Caller, id: &str) -> Result<Webhook, AppError> {
        Ok(self.webhooks.get(caller, id).await?)
    }

    async fn create_webhook(
        &self,
        caller: &Caller,
        draft: WebhookDraft,
    ) -> Result<Webhook, AppError> {
        // What the console creates has the console as its origin, whatever the draft says.
        let body = Body {
            draft: WebhookDraft {
                origin: None,
                ..draft
            },
            kept_encrypted_headers: Vec::new(),
        };
        Ok(self
            .webhooks
            .create(caller, body, Origin::ManagementConsole)
            .await?)
    }

    async fn patch_webhook(
        &self,
        caller: &Caller,
        id: &str,
        operations: serde_json::Value,
    ) -> Result<Webhook, AppError> {
        Ok(self.webhooks.patch(caller, id, &operations).await?)
    }

    async fn delete_webhook(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        Ok(self.webhooks.delete(caller, id).await?)
    }

    fn generate_secret(&self) -> Result<String, AppError> {
        Ok(crate::accounts::secrets::new_webhook_secret()?)
    }

    async fn event_types(&self, caller: &Caller) -> Result<Vec<EventType>, AppError> {
        Ok(self.webhooks.event_types(caller).await?)
    }

    async fn custom_event_types(&self, caller: &Caller) -> Result<Vec<CustomEventType>, AppError> {
        Ok(self.webhooks.custom_event_types(caller).await?)
    }

    async fn create_event_type(
        &self,
        caller: &Caller,
        event_type: &EventType,
        example_data: &str,
    ) -> Result<CustomEventType, AppError> {
        Ok(self
            .webhooks
            .create_event_type(caller, event_type, example_data)
            .await?)
    }

    async fn delete_event_type(&self, caller: &Caller, name: &str) -> Result<(), AppError> {
        Ok(self.webhooks.delete_event_type(caller, name).await?)
    }

    async fn list_deliveries(
        &self,
        caller: &Caller,
        webhook_id: &str,
        query: &str,
    ) -> Result<DeliveryPage, AppError> {
        let request = DeliveryListRequest::from_query(&query_pairs(query))?;
        Ok(self.deliveries.list(caller, webhook_id, &request).await?)
    }

    async fn get_delivery(
        &self,
        caller: &Caller,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<Delivery, AppError> {
        Ok(self.deliveries.get(caller, webhook_id, delivery_id).await?)
    }

    async fn resend_delivery(
        &self,
        caller: &Caller,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<Delivery, AppError> {
        Ok(self
            .deliveries
            .resend(caller, webhook_id, delivery_id)
            .await?)
    }

    async fn send_test_event(
        &self,
        caller: &Caller,
        webhook_id: &str,
        event_type: &str,
    ) -> Result<String, AppError> {
        Ok(self
            .deliveries
            .send_test(caller, webhook_id, event_type)
            .await?)
    }
}
