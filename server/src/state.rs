//! What every request handler and server function can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    accounts::{AccountSettings, Accounts},
    clock::SharedClock,
    db::Database,
};

/// The application state given to the router; Leptos provides it to server functions too.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Database,
    pub clock: SharedClock,
    pub accounts: Accounts,
}

impl AppState {
    /// The services on one database and clock.
    pub fn new(
        leptos_options: LeptosOptions,
        db: Database,
        clock: SharedClock,
        account_settings: AccountSettings,
    ) -> Self {
        let accounts = Accounts::new(db.clone(), clock.clone(), account_settings);
        Self {
            leptos_options,
            db,
            clock,
            accounts,
        }
    }
}
