//! `GET …/webhooks/event-types`: the caller's tenant catalogue.

use app::{
    accounts::Scope,
    event_types::{built_in, EventType},
};
use axum::Json;
use serde::Serialize;

use super::{ApiCaller, ApiError};
use crate::accounts::require_scope;

#[derive(Serialize)]
pub struct EventTypes {
    data: Vec<EventType>,
}

pub async fn list(ApiCaller(caller): ApiCaller) -> Result<Json<EventTypes>, ApiError> {
    require_scope(&caller, Scope::Webhooks)?;
    Ok(Json(EventTypes { data: built_in() }))
}
