//! `…/webhooks` and `…/webhooks/{id}` (SPEC §4.1), served under `/api/v1` and `/api/core`.
//! Each handler authenticates, spends the tenant's request budget and calls the webhooks
//! service; the service decides everything else.

use app::{
    accounts::Caller,
    webhooks::{Origin, Webhook},
};
use axum::{
    extract::{OriginalUri, Path, State},
    http::StatusCode,
    Json,
};
use serde::Serialize;

use super::{json_body::JsonBody, links::Links, rate_limit::Access, ApiCaller, ApiError};
use crate::{
    webhooks::{
        document::{read_body, BodyKind},
        query_pairs, ListRequest,
    },
    AppState,
};

/// Spends one request of the caller's tenant budget.
pub(super) fn admit(state: &AppState, caller: &Caller, access: Access) -> Result<(), ApiError> {
    state
        .rate_limiter
        .admit(caller.tenant_id(), access, state.clock.now())
        .map_err(ApiError::from)
}

#[derive(Serialize)]
pub struct ListBody {
    data: Vec<Webhook>,
    links: Links,
}

pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<ListBody>, ApiError> {
    admit(&state, &caller, Access::Read)?;
    let pairs = query_pairs(uri.query().unwrap_or_default());
    let request = ListRequest::from_query(&pairs)?;
    let page = state.webhooks.list(&caller, &request).await?;
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

pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Webhook>), ApiError> {
    admit(&state, &caller, Access::Write)?;
    let body = read_body(&body, BodyKind::Create)?;
    let webhook = state.webhooks.create(&caller, body, Origin::Api).await?;
    Ok((StatusCode::CREATED, Json(webhook)))
}

pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Webhook>, ApiError> {
    admit(&state, &caller, Access::Read)?;
    Ok(Json(state.webhooks.get(&caller, &id).await?))
}

pub async fn replace(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Webhook>, ApiError> {
    admit(&state, &caller, Access::Write)?;
    let body = read_body(&body, BodyKind::Replace)?;
    Ok(Json(state.webhooks.replace(&caller, &id, body).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    JsonBody(operations): JsonBody,
) -> Result<StatusCode, ApiError> {
    admit(&state, &caller, Access::Write)?;
    state.webhooks.patch(&caller, &id, &operations).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admit(&state, &caller, Access::Write)?;
    state.webhooks.delete(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
