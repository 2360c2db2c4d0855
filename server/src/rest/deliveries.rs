//! `…/webhooks/{id}/deliveries…` and `…/webhooks/{id}/actions/test` (SPEC §4.1, §5.6): a
//! webhook's delivery history, resend and test events, for whoever can see the webhook.

use app::deliveries::Delivery;
use axum::{
    extract::{OriginalUri, Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    json_body::JsonBody, links::Links, rate_limit::Access, webhooks::admit, ApiCaller, ApiError,
};
use crate::{delivery::DeliveryListRequest, webhooks::query_pairs, AppState};

#[derive(Serialize)]
pub struct ListBody {
    data: Vec<Delivery>,
    links: Links,
}

pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(webhook_id): Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<ListBody>, ApiError> {
    admit(&state, &caller, Access::Read)?;
    let pairs = query_pairs(uri.query().unwrap_or_default());
    let request = DeliveryListRequest::from_query(&pairs)?;
    let page = state
        .deliveries
        .list(&caller, &webhook_id, &request)
        .await?;
    let links = Links::of_page(
        &state,
        &uri,
        &pairs,
        page.next.as_deref(),
        page.prev.as_deref(),
    );
    Ok(Json(ListBody {
        data: page.data,
        links,
    }))
}

pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((webhook_id, id)): Path<(String, String)>,
) -> Result<Json<Delivery>, ApiError> {
    admit(&state, &caller, Access::Read)?;
    Ok(Json(state.deliveries.get(&caller, &webhook_id, &id).await?))
}

pub async fn resend(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((webhook_id, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    admit(&state, &caller, Access::Write)?;
    let delivery = state.deliveries.resend(&caller, &webhook_id, &id).await?;
    Ok((StatusCode::CREATED, Json(delivery)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TestRequest {
    event_type: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestQueued {
    delivery_id: String,
}

pub async fn test(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(webhook_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<TestQueued>), ApiError> {
    admit(&state, &caller, Access::Write)?;
    let request: TestRequest =
        serde_json::from_value::<TestRequest>(body.clone()).map_err(|_| {
            let field = match &body {
                Value::Object(fields) => fields
                    .keys()
                    .find(|name| *name != "eventType")
                    .map_or("/eventType".to_owned(), |name| format!("/{name}")),
                _ => String::new(),
            };
            app::error::AppError::invalid(
                field,
                "The body is {\"eventType\": \"<a type this webhook subscribes to>\"}.",
            )
        })?;
    let delivery_id = state
        .deliveries
        .send_test(&caller, &webhook_id, &request.event_type)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(TestQueued { delivery_id })))
}
