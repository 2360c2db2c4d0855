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
        serde_json::to_string(&self.shown).unwrap_or_else(|_| "{}".into())
    }
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
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("User-Agent".to_owned(), user_agent.to_owned()),
    ];
    let mut shown: BTreeMap<String, String> = headers.iter().cloned().collect();
    for (name, value) in stored::headers(webhook)? {
        shown.insert(name.clone(), value.clone());
        headers.push((name, value));
    }
    for (name, value) in stored::open_encrypted_headers(keyring, webhook)? {
        shown.insert(name.clone(), OMITTED.to_owned());
        headers.push((name, value));
    }
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
