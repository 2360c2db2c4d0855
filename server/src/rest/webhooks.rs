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

use super::{json_body::JsonBody, rate_limit::Access, ApiCaller, ApiError};
use crate::{
    webhooks::{
        document::{read_body, BodyKind},
        query_pairs, ListRequest,
    },
    AppState,
};

/// Spends one request of the caller's tenant budget.
fn admit(state: &AppState, caller: &Caller, access: Access) -> Result<(), ApiError> {
    state
        .rate_limiter
        .admit(caller.tenant_id(), access, state.clock.now())
        .map_err(ApiError::from)
}

#[derive(Serialize)]
pub struct Href {
    href: String,
}

#[derive(Serialize)]
pub struct Links {
    #[serde(rename = "self")]
    this: Href,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<Href>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<Href>,
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
    let public_url = &state.accounts.settings().public_url;
    let href = |cursor: Option<(&str, &str)>| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &pairs {
            if cursor.is_none() || (name != "next" && name != "prev") {
                query.append_pair(name, value);
            }
        }
        if let Some((name, value)) = cursor {
            query.append_pair(name, value);
        }
        let query = query.finish();
        let separator = if query.is_empty() { "" } else { "?" };
        Href {
            href: public_url.join(&format!("{}{separator}{query}", uri.path())),
        }
    };
    let links = Links {
        this: href(None),
        next: page
            .next
            .as_deref()
            .map(|cursor| href(Some(("next", cursor)))),
        prev: page
            .prev
            .as_deref()
            .map(|cursor| href(Some(("prev", cursor)))),
    };
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
