//! Server functions for a webhook's delivery history. Each one calls the delivery engine
//! through the backend, exactly as the REST handlers do.

use leptos::{prelude::*, server_fn::codec::Json};

use crate::{
    deliveries::{Delivery, DeliveryPage},
    error::AppError,
};

#[cfg(feature = "ssr")]
use super::context::{backend, caller};

/// One page of a webhook's deliveries, newest first by default; `query` is the list query
/// string (`status=fail&limit=20&next=…`), as the REST API takes it.
#[server(endpoint = "list_deliveries", input = Json)]
pub async fn list_deliveries(webhook_id: String, query: String) -> Result<DeliveryPage, AppError> {
    backend()?
        .list_deliveries(&caller()?, &webhook_id, &query)
        .await
}

/// One delivery with its request and every attempt.
#[server(endpoint = "get_delivery", input = Json)]
pub async fn get_delivery(webhook_id: String, delivery_id: String) -> Result<Delivery, AppError> {
    backend()?
        .get_delivery(&caller()?, &webhook_id, &delivery_id)
        .await
}

/// Sends a delivery again, once, now; the new delivery whatever its outcome.
#[server(endpoint = "resend_delivery", input = Json)]
pub async fn resend_delivery(
    webhook_id: String,
    delivery_id: String,
) -> Result<Delivery, AppError> {
    backend()?
        .resend_delivery(&caller()?, &webhook_id, &delivery_id)
        .await
}

/// Queues the example event of `event_type` to this webhook only; the new delivery's id.
#[server(endpoint = "send_test_event", input = Json)]
pub async fn send_test_event(webhook_id: String, event_type: String) -> Result<String, AppError> {
    backend()?
        .send_test_event(&caller()?, &webhook_id, &event_type)
        .await
}
