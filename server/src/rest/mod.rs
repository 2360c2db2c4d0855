//! The REST APIs (SPEC §4.1, §4.2): authenticated with API keys only, errors in one format.

mod auth;
mod deliveries;
mod error;
mod event_types;
mod events;
mod json_body;
mod links;
pub mod rate_limit;
mod users;
mod webhooks;

use axum::{
    routing::{any, get, post},
    Router,
};

use crate::AppState;

pub use auth::ApiCaller;
pub use error::{ApiError, ApiErrors};

/// Every REST route. Qlik clients use both `/api/v1/…` and `/api/core/…`; both are served.
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/api/v1/users/me", get(users::me))
        .route("/api/v1/events", post(events::publish));
    for base in ["/api/v1", "/api/core"] {
        router = router
            .route(
                &format!("{base}/webhooks"),
                get(webhooks::list).post(webhooks::create),
            )
            .route(
                &format!("{base}/webhooks/event-types"),
                get(event_types::list).post(event_types::create),
            )
            .route(
                &format!("{base}/webhooks/event-types/{{name}}"),
                axum::routing::delete(event_types::delete),
            )
            .route(
                &format!("{base}/webhooks/{{id}}"),
                get(webhooks::get)
                    .put(webhooks::replace)
                    .patch(webhooks::patch)
                    .delete(webhooks::delete),
            )
            .route(
                &format!("{base}/webhooks/{{id}}/deliveries"),
                get(deliveries::list),
            )
            .route(
                &format!("{base}/webhooks/{{id}}/deliveries/{{delivery_id}}"),
                get(deliveries::get),
            )
            .route(
                &format!("{base}/webhooks/{{id}}/deliveries/{{delivery_id}}/actions/resend"),
                post(deliveries::resend),
            )
            .route(
                &format!("{base}/webhooks/{{id}}/actions/test"),
                post(deliveries::test),
            );
    }
    router
        .route_layer(axum::middleware::map_response(
            error::method_not_allowed_in_api_format,
        ))
        // Unknown API paths answer in the API's error format, not with a console page.
        // (The console's server functions live beside these, under `/api/<function>`.)
        .route("/api/v1/{*rest}", any(error::unknown_route))
        .route("/api/core/{*rest}", any(error::unknown_route))
}
