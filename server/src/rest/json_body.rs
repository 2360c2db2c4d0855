//! The JSON body of a REST write: the media type checked (415), the size bounded (413), the
//! JSON parsed (400), before any handler runs.

use app::error::AppError;
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header::CONTENT_TYPE,
};
use serde_json::Value;

use super::ApiError;

/// Webhook bodies are small; anything larger is refused unread (SPEC §4.1).
pub const BODY_LIMIT: usize = 256 * 1024;

/// A parsed JSON request body.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_bytes(
            request,
            BODY_LIMIT,
            &["application/json", "application/json-patch+json"],
        )
        .await?;
        parse(&bytes).map(JsonBody)
    }
}

/// The body of a request whose media type is one of `media_types`, read up to `limit` bytes.
pub async fn read_bytes(
    request: Request,
    limit: usize,
    media_types: &[&str],
) -> Result<Bytes, ApiError> {
    let media_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if !media_type
        .as_deref()
        .is_some_and(|media_type| media_types.contains(&media_type))
    {
        return Err(AppError::UnsupportedMediaType(format!(
            "Send the body as Content-Type: {}.",
            media_types[0]
        ))
        .into());
    }
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|error| {
            if error.into_inner().is::<http_body_util::LengthLimitError>() {
                AppError::PayloadTooLarge(format!("The body is larger than {} KiB.", limit / 1024))
                    .into()
            } else {
                // The client stopped sending, or sent a broken chunked body.
                AppError::invalid("", "The body could not be read to its end.").into()
            }
        })
}

fn parse(bytes: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|error| {
        AppError::invalid("", format!("The body is not valid JSON: {error}")).into()
    })
}
