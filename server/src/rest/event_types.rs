//! `GET …/webhooks/event-types`: the caller's tenant catalogue.

use app::event_types::EventType;
use axum::{extract::State, Json};
use serde::Serialize;

use super::{rate_limit::Access, ApiCaller, ApiError};
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
