//! `…/webhooks/event-types`: the caller's tenant catalogue (`GET`), and for TenantAdmins the
//! tenant's custom types (`POST`, `DELETE …/event-types/{name}`).

use app::{
    error::AppError,
    event_types::{CustomEventType, EventType},
    validation::pointer,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Serialize;
use serde_json::Value;

use super::{json_body::JsonBody, rate_limit::Access, ApiCaller, ApiError};
use crate::{webhooks::document::field, AppState};

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

/// The fields of a `POST …/event-types` body.
const NEW_TYPE_FIELDS: [&str; 6] = [
    "name",
    "title",
    "description",
    "levels",
    "category",
    "exampleData",
];

/// Reads a `POST …/event-types` body: every problem of shape names its field; the values are
/// checked by the service's rules. Absent text fields are empty, which those rules refuse.
fn read_new_type(body: &Value) -> crate::error::Result<(EventType, String)> {
    let object = body
        .as_object()
        .ok_or_else(|| AppError::invalid("", "The body must be a JSON object."))?;
    if let Some(unknown) = object
        .keys()
        .find(|field| !NEW_TYPE_FIELDS.contains(&field.as_str()))
    {
        return Err(AppError::invalid(
            format!("/{}", pointer::escape(unknown)),
            format!("{unknown} is not a field of an event type."),
        )
        .into());
    }
    let example = object
        .get("exampleData")
        .ok_or_else(|| AppError::invalid("/exampleData", "Give an example of the event's data."))?;
    let event_type = EventType {
        name: field(object, "name", "a string")?,
        title: field(object, "title", "a string")?,
        description: field(object, "description", "a string")?,
        levels: field(object, "levels", "a list of tenant and user")?,
        category: field(object, "category", "a string")?,
    };
    Ok((event_type, example.to_string()))
}

pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<CustomEventType>), ApiError> {
    state
        .rate_limiter
        .admit(caller.tenant_id(), Access::Write, state.clock.now())?;
    let (event_type, example_data) = read_new_type(&body)?;
    let created = state
        .webhooks
        .create_event_type(&caller, &event_type, &example_data)
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
