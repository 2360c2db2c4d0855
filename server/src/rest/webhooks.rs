//! `…/webhooks` and `…/webhooks/{id}` (SPEC §4.1), served under `/api/v1` and `/api/core`.
//! Each handler authenticates, spends the tenant's request budget and calls the webhooks
//! service; the service decides everything else.

use app::{
    accounts::Caller,
    error::AppError,
    event_types::Level,
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
        list::{Filters, PageStart, Sort, DEFAULT_LIMIT, MAX_LIMIT},
        ListRequest,
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
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let request = list_request(&pairs)?;
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

/// Reads the query of a list request; an unknown or malformed parameter names itself.
fn list_request(pairs: &[(String, String)]) -> Result<ListRequest, ApiError> {
    let invalid =
        |name: &str, message: String| ApiError(AppError::invalid(format!("/{name}"), message));
    let mut request = ListRequest::default();
    let mut filters = Filters::default();
    for (name, value) in pairs {
        let list = || {
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        match name.as_str() {
            "limit" => {
                request.limit = value
                    .parse()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| {
                        invalid(name, format!("limit is a number from 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."))
                    })?;
            }
            "sort" => {
                request.sort = Sort::parse(value).ok_or_else(|| {
                    invalid(
                        name,
                        "sort is name, url, createdAt or updatedAt, with an optional + or -."
                            .into(),
                    )
                })?;
            }
            "next" => request.start = PageStart::After(value.clone()),
            "prev" => request.start = PageStart::Before(value.clone()),
            "name" => filters.name = Some(value.clone()),
            "url" => filters.url = Some(value.clone()),
            "enabled" => {
                filters.enabled = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid(name, "enabled is true or false.".into())),
                })
            }
            "eventTypes" => filters.event_types = list().collect(),
            "level" => {
                filters.level = Some(
                    Level::parse(value)
                        .ok_or_else(|| invalid(name, "level is tenant or user.".into()))?,
                )
            }
            "origins" => {
                filters.origins = list()
                    .map(|origin| {
                        Origin::parse(&origin).ok_or_else(|| {
                            invalid(
                                name,
                                format!(
                                "{origin} is not an origin (api, automations, management-console)."
                            ),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            "ownerId" => filters.owner_id = Some(value.clone()),
            "createdByUserId" => filters.created_by_user_id = Some(value.clone()),
            "updatedByUserId" => filters.updated_by_user_id = Some(value.clone()),
            _ => {
                return Err(invalid(
                    name,
                    format!("{name} is not a parameter of this list."),
                ))
            }
        }
    }
    request.filters = filters;
    Ok(request)
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
