//! `POST /api/v1/events` (SPEC §4.2): publishers hand Herald events with an API key of scope
//! `events:publish`; 202 only once the events and their deliveries are committed.

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use super::{error::ApiErrors, json_body::read_bytes, ApiCaller, ApiError};
use crate::{
    delivery::{Accepted, IngestError},
    AppState,
};

/// The media types an event body may come as.
const MEDIA_TYPES: [&str; 3] = [
    "application/json",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
];

#[derive(Serialize)]
struct AcceptedBody {
    data: Vec<Accepted>,
}

pub async fn publish(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    request: Request,
) -> Response {
    let body = match read_bytes(request, state.deliveries.events_body_limit(), &MEDIA_TYPES).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    match state.deliveries.ingest(&caller, &body).await {
        Ok(data) => (StatusCode::ACCEPTED, Json(AcceptedBody { data })).into_response(),
        Err(IngestError::Invalid(errors)) => ApiErrors(errors).into_response(),
        Err(IngestError::Failed(error)) => ApiError::from(error).into_response(),
    }
}
