//! `GET /api/v1/users/me`: who the API key acts for. Any valid key may ask, whatever its
//! scopes: the answer is only its own owner, which the key holder can act as anyway.

use app::accounts::UserStatus;
use axum::{extract::State, Json};
use serde::Serialize;

use super::{ApiCaller, ApiError};
use crate::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    id: String,
    tenant_id: String,
    email: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    status: UserStatus,
    /// The user's permission, by its console name.
    permission: &'static str,
}

pub async fn me(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Me>, ApiError> {
    let user = state.accounts.whoami(&caller).await?;
    Ok(Json(Me {
        id: user.id,
        tenant_id: caller.tenant_id().to_owned(),
        email: user.email,
        name: user.display_name,
        external_id: user.external_id,
        status: user.status,
        permission: user.role.label(),
    }))
}
