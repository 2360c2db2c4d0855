//! `Authorization: Bearer <api key>`: the only credential the REST API accepts (never the
//! console's session cookie).

use app::{accounts::Caller, error::AppError};
use axum::{extract::FromRequestParts, http::request::Parts};

use super::ApiError;
use crate::AppState;

/// The caller of a REST request, found from its API key.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(AppError::Unauthorized)?;
        let (scheme, key) = header.split_once(' ').ok_or(AppError::Unauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AppError::Unauthorized.into());
        }
        let caller = state.accounts.authenticate_api_key(key.trim()).await?;
        Ok(ApiCaller(caller))
    }
}
