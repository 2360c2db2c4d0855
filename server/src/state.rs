//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    accounts::{AccountSettings, Accounts},
    clock::SharedClock,
    crypto::Keyring,
    db::Database,
    delivery::{ClientError, DeliveryEngine, DeliverySettings},
    metrics::Metrics,
    rest::rate_limit::{RateLimiter, RateLimits},
    webhooks::{WebhookSettings, Webhooks},
};

/// The settings the services are built with.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    pub accounts: AccountSettings,
    pub webhooks: WebhookSettings,
    pub delivery: DeliverySettings,
    pub rate_limits: RateLimits,
}

/// The application state given to the router; Leptos provides it to server functions too.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Database,
    pub clock: SharedClock,
    pub accounts: Accounts,
    pub webhooks: Webhooks,
    pub deliveries: DeliveryEngine,
    pub rate_limiter: Arc<RateLimiter>,
}

impl AppState {
    /// The services on one database, clock and keyring. Fails only when the delivery client
    /// cannot be built (an unreadable CA certificate file).
    pub fn new(
        leptos_options: LeptosOptions,
        db: Database,
        clock: SharedClock,
        keyring: Keyring,
        settings: ServiceSettings,
    ) -> Result<Self, ClientError> {
        let keyring = Arc::new(keyring);
        let accounts = Accounts::new(db.clone(), clock.clone(), settings.accounts);
        let webhooks = Webhooks::new(
            db.clone(),
            clock.clone(),
            keyring.clone(),
            settings.webhooks,
        );
        let deliveries = DeliveryEngine::new(
            db.clone(),
            clock.clone(),
            keyring,
            settings.delivery,
            Arc::new(Metrics::new()),
        )?;
        Ok(Self {
            leptos_options,
            db,
            clock,
            accounts,
            webhooks,
            deliveries,
            rate_limiter: Arc::new(RateLimiter::new(settings.rate_limits)),
        })
    }
}
