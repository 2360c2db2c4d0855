//! Herald's server: settings, database, HTTP router and (in later modules) the services and
//! the delivery engine.
//!
//! [`router`] builds the whole application from an [`AppState`], so the `herald` binary and the
//! integration tests run the same app.

pub mod clock;
pub mod config;
pub mod db;
pub mod health;
pub mod site;
pub mod state;
pub mod telemetry;

use app::{shell, App};
use axum::{routing::get, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

pub use state::AppState;

/// The complete HTTP application: probes, the console (pages and server functions) and the
/// static files of the compiled site.
pub fn router(state: AppState) -> Router {
    let pages = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .leptos_routes(&state, pages, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
