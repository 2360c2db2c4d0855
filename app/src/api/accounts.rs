//! Server functions for signing in and out, one-time links, users and API keys.

use leptos::prelude::*;

use crate::{
    accounts::{
        ApiKeySummary, CreatedApiKey, LinkDetails, LinkPurpose, OneTimeLink, Role, Scope,
        SignedInUser, UserSummary,
    },
    error::AppError,
};

#[cfg(feature = "ssr")]
use super::context::{backend, caller, request, set_cookie};
#[cfg(feature = "ssr")]
use crate::{backend::UserDetails, validation::accounts as rules};

/// The signed-in user, or `None` when signed out.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    Ok(super::context::signed_in_user())
}

/// Signs in and goes to `next` (a path on this site) or the webhooks page.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let cookie = backend()?.sign_in(&request()?, &email, &password).await?;
    set_cookie(cookie)?;
    leptos_axum::redirect(&super::safe_return_path(next.as_deref()));
    Ok(())
}

/// Signs out and goes to the sign-in page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let cookie = backend()?.sign_out(&request()?).await?;
    set_cookie(cookie)?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Whether a one-time link can be used, and for whom.
#[server(endpoint = "check_link")]
pub async fn check_link(purpose: LinkPurpose, token: String) -> Result<LinkDetails, AppError> {
    backend()?.link_details(purpose, &token).await
}

/// Uses a setup link to create the first TenantAdmin, signed in afterwards.
#[server(endpoint = "complete_setup")]
pub async fn complete_setup(
    token: String,
    email: String,
    display_name: String,
    password: String,
    confirmation: String,
) -> Result<(), AppError> {
    rules::password_confirmation("/confirmation", &password, &confirmation)?;
    let cookie = backend()?
        .complete_setup(&token, &email, &display_name, &password)
        .await?;
    set_cookie(cookie)?;
    leptos_axum::redirect("/webhooks");
    Ok(())
}

/// Uses an invite link: chooses a name and password, signed in afterwards.
#[server(endpoint = "accept_invite")]
pub async fn accept_invite(
    token: String,
    display_name: String,
    password: String,
    confirmation: String,
) -> Result<(), AppError> {
    rules::password_confirmation("/confirmation", &password, &confirmation)?;
    let cookie = backend()?
        .accept_invite(&token, &display_name, &password)
        .await?;
    set_cookie(cookie)?;
    leptos_axum::redirect("/webhooks");
    Ok(())
}

/// Uses a password-reset link, signed in afterwards.
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    password: String,
    confirmation: String,
) -> Result<(), AppError> {
    rules::password_confirmation("/confirmation", &password, &confirmation)?;
    let cookie = backend()?.reset_password(&token, &password).await?;
    set_cookie(cookie)?;
    leptos_axum::redirect("/webhooks");
    Ok(())
}

#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    backend()?.list_users(&caller()?).await
}

/// Adds a user and returns the invite link to hand to them.
#[server(endpoint = "invite_user", input = leptos::server_fn::codec::Json)]
pub async fn invite_user(
    email: String,
    display_name: String,
    role: Role,
    external_id: String,
) -> Result<OneTimeLink, AppError> {
    let details = UserDetails {
        display_name,
        role,
        external_id,
    };
    backend()?.invite_user(&caller()?, &email, &details).await
}

#[server(endpoint = "update_user", input = leptos::server_fn::codec::Json)]
pub async fn update_user(
    user_id: String,
    display_name: String,
    role: Role,
    external_id: String,
) -> Result<UserSummary, AppError> {
    let details = UserDetails {
        display_name,
        role,
        external_id,
    };
    backend()?.update_user(&caller()?, &user_id, &details).await
}

#[server(endpoint = "set_user_active", input = leptos::server_fn::codec::Json)]
pub async fn set_user_active(user_id: String, active: bool) -> Result<UserSummary, AppError> {
    backend()?
        .set_user_active(&caller()?, &user_id, active)
        .await
}

#[server(endpoint = "password_reset_link", input = leptos::server_fn::codec::Json)]
pub async fn password_reset_link(user_id: String) -> Result<OneTimeLink, AppError> {
    backend()?.password_reset_link(&caller()?, &user_id).await
}

#[server(endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeySummary>, AppError> {
    backend()?.list_api_keys(&caller()?).await
}

/// Creates a key; the result holds the key itself, shown this once.
#[server(endpoint = "create_api_key", input = leptos::server_fn::codec::Json)]
pub async fn create_api_key(
    owner_id: String,
    name: String,
    scopes: Vec<Scope>,
) -> Result<CreatedApiKey, AppError> {
    backend()?
        .create_api_key(&caller()?, &owner_id, &name, &scopes)
        .await
}

#[server(endpoint = "revoke_api_key", input = leptos::server_fn::codec::Json)]
pub async fn revoke_api_key(key_id: String) -> Result<ApiKeySummary, AppError> {
    backend()?.revoke_api_key(&caller()?, &key_id).await
}
