//! What every request handler and server function can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{clock::SharedClock, db::Database};

/// The application state given to the router; Leptos provides it to server functions too.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Database,
    pub clock: SharedClock,
}
