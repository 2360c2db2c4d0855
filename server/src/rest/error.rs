//! The one mapping from errors to REST responses (SPEC §4.1):
//! `{"errors":[{"code","title","detail","source":{"pointer"}}],"traceId"}`.

use app::error::AppError;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

/// An error as a REST response.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(error)
    }
}

impl From<crate::error::Error> for ApiError {
    fn from(error: crate::error::Error) -> Self {
        ApiError(error.into_app_error())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    errors: Vec<Item>,
    trace_id: String,
}

#[derive(Serialize)]
struct Item {
    code: &'static str,
    title: &'static str,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
}

#[derive(Serialize)]
struct Source {
    pointer: String,
}

impl ApiError {
    /// The machine-readable code and the title of the error's kind.
    fn code_title(&self) -> (&'static str, &'static str) {
        match &self.0 {
            AppError::Invalid { .. } => ("invalid", "Invalid request"),
            AppError::Unauthorized => ("unauthorized", "Unauthorized"),
            AppError::Forbidden(_) => ("forbidden", "Forbidden"),
            AppError::NotFound => ("not-found", "Not found"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            AppError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            AppError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            AppError::Unavailable => ("unavailable", "Service unavailable"),
            AppError::Internal { .. } | AppError::Transport(_) => {
                ("internal", "Internal server error")
            }
        }
    }
}

/// Several validation errors at once (a batch of events): 400 with one item each.
#[derive(Debug)]
pub struct ApiErrors(pub Vec<AppError>);

impl IntoResponse for ApiErrors {
    fn into_response(self) -> Response {
        let items = self
            .0
            .into_iter()
            .map(|error| ApiError(error).item())
            .collect();
        (
            StatusCode::BAD_REQUEST,
            Json(Body {
                errors: items,
                trace_id: uuid::Uuid::new_v4().simple().to_string(),
            }),
        )
            .into_response()
    }
}

impl ApiError {
    /// The error as one item of the `errors` list.
    fn item(&self) -> Item {
        let (code, title) = self.code_title();
        let detail = match &self.0 {
            AppError::Unauthorized => {
                "Send a valid API key as `Authorization: Bearer <key>`.".to_owned()
            }
            other => other.to_string(),
        };
        let source = match &self.0 {
            AppError::Invalid { field, .. } => Some(Source {
                pointer: field.clone(),
            }),
            _ => None,
        };
        Item {
            code,
            title,
            detail,
            source,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let trace_id = match &self.0 {
            AppError::Internal { trace_id } => trace_id.clone(),
            _ => uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut response = error_body(status, self.item(), trace_id);
        let headers = response.headers_mut();
        match &self.0 {
            AppError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

fn error_body(status: StatusCode, item: Item, trace_id: String) -> Response {
    let body = Body {
        errors: vec![item],
        trace_id,
    };
    (status, Json(body)).into_response()
}

/// A known path asked with a method it does not take: axum answers 405 with an `Allow` header
/// and an empty body; the body is given in the API's error format, the header kept.
pub async fn method_not_allowed_in_api_format(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let allowed = allow
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let mut answer = error_body(
        StatusCode::METHOD_NOT_ALLOWED,
        Item {
            code: "method-not-allowed",
            title: "Method not allowed",
            detail: format!("This path takes {allowed}."),
            source: None,
        },
        uuid::Uuid::new_v4().simple().to_string(),
    );
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    answer
}

/// An `/api/v1/…` or `/api/core/…` path that does not exist.
pub async fn unknown_route() -> ApiError {
    ApiError(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn json(error: AppError) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let response = ApiError(error).into_response();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).expect("json"),
        )
    }

    #[tokio::test]
    async fn validation_errors_name_the_field() {
        let (status, _, body) = json(AppError::invalid("/url", "Use https.")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["errors"][0]["source"]["pointer"], "/url");
        assert_eq!(body["errors"][0]["detail"], "Use https.");
        assert_eq!(body["errors"][0]["code"], "invalid");
        assert!(body["traceId"].as_str().is_some_and(|id| id.len() == 32));
    }

    #[tokio::test]
    async fn unauthorized_and_throttled_carry_their_headers() {
        let (status, headers, body) = json(AppError::Unauthorized).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        assert!(body["errors"][0].get("source").is_none());

        let (status, headers, _) = json(AppError::TooManyRequests {
            message: "slow down".into(),
            retry_after_secs: 42,
        })
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers[header::RETRY_AFTER], "42");
    }
}
