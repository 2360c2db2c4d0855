//! Between stored rows and what clients see: JSON columns read back, write-only values opened
//! only when the server itself needs them.

use std::collections::BTreeMap;

use app::{
    event_types::Level,
    webhooks::{DisabledReasonCode, Origin, Webhook, WebhookDraft},
};

use crate::{
    crypto::Keyring,
    db::webhooks::WebhookRow,
    error::{Error, Result},
    timestamps::rfc3339,
};

/// The associated data that ties a sealed secret to its webhook.
pub fn secret_context(webhook_id: &str) -> String {
    format!("webhook/{webhook_id}/secret")
}

/// The associated data that ties sealed encrypted headers to their webhook.
pub fn encrypted_headers_context(webhook_id: &str) -> String {
    format!("webhook/{webhook_id}/encrypted-headers")
}

fn corrupt(row: &WebhookRow, what: &str) -> Error {
    Error::Internal(format!("webhook {} has an unreadable {what}", row.id))
}

pub fn level(row: &WebhookRow) -> Result<Level> {
    Level::parse(&row.level).ok_or_else(|| corrupt(row, "level"))
}

pub fn headers(row: &WebhookRow) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(&row.headers).map_err(|_| corrupt(row, "headers column"))
}

pub fn encrypted_header_names(row: &WebhookRow) -> Result<Vec<String>> {
    serde_json::from_str(&row.encrypted_header_names)
        .map_err(|_| corrupt(row, "encrypted header names"))
}

/// The encrypted headers' values, opened (for sending, or to keep them across a patch).
pub fn open_encrypted_headers(
    keyring: &Keyring,
    row: &WebhookRow,
) -> Result<BTreeMap<String, String>> {
    let Some(sealed) = &row.encrypted_headers else {
        return Ok(BTreeMap::new());
    };
    let json = keyring
        .open(&encrypted_headers_context(&row.id), sealed)
        .map_err(|error| Error::Internal(format!("webhook {}: {error}", row.id)))?;
    serde_json::from_str(&json).map_err(|_| corrupt(row, "encrypted headers"))
}

/// The webhook as clients see it.
pub fn to_webhook(row: &WebhookRow, event_types: Vec<String>) -> Result<Webhook> {
    Ok(Webhook {
        id: row.id.clone(),
        name: row.name.clone(),
        description: row.description.clone(),
        url: row.url.clone(),
        event_types,
        filter: row.filter.clone(),
        headers: headers(row)?,
        encrypted_headers: encrypted_header_names(row)?,
        secret_key_added: row.secret.is_some(),
        enabled: row.enabled != 0,
        disabled_reason: row.disabled_reason.clone(),
        disabled_reason_code: row
            .disabled_reason_code
            .as_deref()
            .map(|code| DisabledReasonCode::parse(code).ok_or_else(|| corrupt(row, "reason")))
            .transpose()?,
        level: level(row)?,
        owner_id: row.owner_id.clone(),
        origin: Origin::parse(&row.origin).ok_or_else(|| corrupt(row, "origin"))?,
        enable_cloud_event_delivery: row.enable_cloud_event_delivery != 0,
        check_certificate_revocation: row.check_certificate_revocation != 0,
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        created_by_user_id: row.created_by_user_id.clone(),
        updated_by_user_id: row.updated_by_user_id.clone(),
    })
}

/// The writable fields of a stored webhook, without its write-only values.
pub fn to_draft(row: &WebhookRow, event_types: Vec<String>) -> Result<WebhookDraft> {
    Ok(WebhookDraft {
        name: row.name.clone(),
        description: row.description.clone(),
        url: row.url.clone(),
        event_types,
        filter: row.filter.clone(),
        headers: headers(row)?,
        encrypted_headers: BTreeMap::new(),
        secret: None,
        enabled: Some(row.enabled != 0),
        level: Some(level(row)?),
        owner_id: Some(row.owner_id.clone()),
        origin: Origin::parse(&row.origin),
        enable_cloud_event_delivery: row.enable_cloud_event_delivery != 0,
        check_certificate_revocation: row.check_certificate_revocation != 0,
    })
}
