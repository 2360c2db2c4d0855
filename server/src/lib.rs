//! Herald's server: settings, database, services, HTTP router and the `herald` binary's tasks.
//!
//! [`router`] builds the whole application from an [`AppState`], so the `herald` binary and the
//! integration tests run the same app.

pub mod accounts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod crypto;
pub mod db;
pub mod delivery;
pub mod error;
pub mod health;
pub mod metrics;
pub mod paging;
pub mod rest;
pub mod site;
pub mod state;
pub mod telemetry;
pub mod timestamps;
pub mod webhooks;

use std::sync::{Arc, OnceLock};

use app::{backend::Backend, shell, App};
use axum::{
    http::{header, HeaderValue, Request},
    middleware,
    routing::get,
    Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

pub use state::AppState;

/// The console's routes, found once per process by running the app without loading data.
///
/// While Leptos finds them it sets a process-wide "do not load resources" flag, and a resource
/// of a page being rendered at that moment would wait forever (leptos-rs/leptos#4773). Finding
/// them once, before any router exists, keeps that window away from every render — also when
/// several routers are built in one process, as the integration tests do.
fn console_pages() -> &'static [AxumRouteListing] {
    static PAGES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    PAGES.get_or_init(|| generate_route_list(App))
}

/// The complete HTTP application: probes, the REST APIs, the console (pages and server
/// functions) and the static files of the compiled site.
pub fn router(state: AppState) -> Router {
    let pages = console_pages().to_vec();
    let leptos_options = state.leptos_options.clone();
    let backend = Backend(Arc::new(console::ServerBackend::new(
        state.accounts.clone(),
        state.webhooks.clone(),
        state.deliveries.clone(),
    )));
    let console = Router::new()
        .leptos_routes_with_context(
            &state,
            pages,
            move || provide_context(backend.clone()),
            move || shell(leptos_options.clone()),
        )
        .route_layer(middleware::from_fn(console::server_fn_error_status))
        .route_layer(middleware::from_fn(console::render_to_completion))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            console::session_layer,
        ));
    // Static files and the 404 page: the session is looked up (so the 404 page keeps the
    // navigation) but nobody is redirected.
    let fallback = Router::new()
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(console::render_to_completion))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            console::session_for_fallback,
        ))
        .with_state(state.clone());
    #[cfg(feature = "embed-site")]
    let fallback = fallback.layer(middleware::from_fn(site::embedded::serve));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .merge(rest::router())
        .merge(console)
        .fallback_service(fallback)
        // Links carry one-time tokens in their query: never hand them to another site.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Logs name the method and path only: query strings may carry tokens.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!("request", method = %request.method(), path = request.uri().path())
            }),
        )
        .with_state(state)
}
