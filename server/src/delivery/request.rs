//! The request of one attempt (SPEC §5.2): the webhook's current URL, its headers (encrypted
//! ones opened), and — when it has a secret — the signatures of the stored body. History shows
//! the same headers with encrypted values replaced by `**OMITTED**`.

use std::collections::BTreeMap;

use app::deliveries::OMITTED;

use super::signature;
use crate::{
    crypto::Keyring,
    db::webhooks::WebhookRow,
    error::{Error, Result},
    webhooks::stored,
};

/// What one attempt sends, and what history shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub url: String,
    /// Sent as they are.
    pub headers: Vec<(String, String)>,
    /// Shown in history.
    pub shown: BTreeMap<String, String>,
}

impl Prepared {
    /// The shown headers as stored (JSON object).
    pub fn shown_json(&self) -> String {
        headers_json(&self.shown)
    }
}

/// Shown headers as stored (JSON object).
pub fn headers_json(headers: &BTreeMap<String, String>) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "{}".into())
}

/// The headers history shows for a delivery before its first attempt: no secret is opened
/// (encrypted values are omitted anyway, and signatures are made per attempt).
pub fn planned_headers(webhook: &WebhookRow, user_agent: &str) -> Result<BTreeMap<String, String>> {
    let mut shown = base_headers(user_agent)
        .into_iter()
        .collect::<BTreeMap<_, _>>();
    shown.extend(stored::headers(webhook)?);
    for name in stored::encrypted_header_names(webhook)? {
        shown.insert(name, OMITTED.to_owned());
    }
    Ok(shown)
}

fn base_headers(user_agent: &str) -> Vec<(String, String)> {
    vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("User-Agent".to_owned(), user_agent.to_owned()),
    ]
}

/// The request an attempt of delivery `delivery_id` makes to `webhook` at `unix_seconds`.
pub fn prepare(
    webhook: &WebhookRow,
    keyring: &Keyring,
    delivery_id: &str,
    body: &str,
    user_agent: &str,
    unix_seconds: i64,
) -> Result<Prepared> {
    let mut headers = base_headers(user_agent);
    headers.extend(stored::headers(webhook)?);
    headers.extend(stored::open_encrypted_headers(keyring, webhook)?);
    let mut shown = planned_headers(webhook, user_agent)?;
    if let Some(sealed) = &webhook.secret {
        let secret = keyring
            .open(&stored::secret_context(&webhook.id), sealed)
            .map_err(|error| Error::Internal(format!("webhook {}: {error}", webhook.id)))?;
        for (name, value) in signature::headers(&secret, delivery_id, unix_seconds, body.as_bytes())
        {
            let name = match name {
                signature::QLIK_SIGNATURE => "Qlik-Signature",
                other => other,
            };
            shown.insert(name.to_owned(), value.clone());
            headers.push((name.to_owned(), value));
        }
    }
    Ok(Prepared {
        url: webhook.url.clone(),
        headers,
        shown,
    })
}
