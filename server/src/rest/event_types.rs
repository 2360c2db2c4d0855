//! `…/webhooks/event-types`: the caller's tenant catalogue (`GET`), and for TenantAdmins the
//! tenant's custom types (`POST`, `DELETE …/event-types/{name}`).

use app::{
    error::AppError,
    event_types::{CustomEventType, EventType, Level},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{json_body::JsonBody, rate_limit::Access, ApiCaller, ApiError};
use crate::AppState;

#[derive(Serialize)]
pub struct EventTypes {
    data: Vec<EventType>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<EventTypes>, ApiError> {
    state
        .rate_limiter
        .admit(caller.tenant_id(), Access::Read, state.clock.now())?;
    Ok(Json(EventTypes {
        data: state.webhooks.event_types(&caller).await?,
    }))
}

/// The body of `POST …/event-types`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewEventType {
    name: String,
    title: String,
    #[serde(default)]
    description: String,
    levels: Vec<Level>,
    category: String,
    example_data: Value,
}

pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<CustomEventType>), ApiError> {
    state
        .rate_limiter
        .admit(caller.tenant_id(), Access::Write, state.clock.now())?;
    let new: NewEventType = serde_json::from_value(body)
        .map_err(|error| AppError::invalid("", format!("Not a custom event type: {error}")))?;
    let draft = EventType {
        name: new.name,
        title: new.title,
        description: new.description,
        levels: new.levels,
        category: new.category,
    };
    let created = state
        .webhooks
        .create_event_type(&caller, &draft, &new.example_data.to_string())
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .rate_limiter
        .admit(caller.tenant_id(), Access::Write, state.clock.now())?;
    state.webhooks.delete_event_type(&caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
