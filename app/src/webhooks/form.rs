//! What the create and edit panels hold, checked with the shared webhook rules, and turned into
//! a create draft or into a JSON Patch of only what changed.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Webhook, WebhookDraft};
use crate::{
    error::AppError,
    event_types::{EventType, Level},
    validation::{pointer, webhook as rules},
};

/// One name-value row of the Headers section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderRow {
    pub name: String,
    pub value: String,
    /// An encrypted header: its value is write-only once saved.
    pub encrypted: bool,
    /// An encrypted header the webhook already has: a blank value keeps the stored one.
    pub stored: bool,
}

impl HeaderRow {
    /// A row nobody filled in is not a header.
    fn is_blank(&self) -> bool {
        !self.stored && self.name.trim().is_empty() && self.value.is_empty()
    }

    /// Where the rules report a problem with this row.
    pub fn pointer(&self) -> String {
        let map = if self.encrypted {
            "encryptedHeaders"
        } else {
            "headers"
        };
        format!("/{map}/{}", pointer::escape(self.name.trim()))
    }
}

/// What happens to the signing secret when an edit is saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretChoice {
    /// Leave it as it is (set or not set).
    #[default]
    Keep,
    /// Use the typed or generated value (creating: only when one is typed).
    Replace,
    Remove,
}

/// The panel's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookForm {
    pub name: String,
    pub description: String,
    pub url: String,
    pub secret: String,
    pub secret_choice: SecretChoice,
    pub headers: Vec<HeaderRow>,
    pub event_types: Vec<String>,
    pub level: Level,
    pub owner_id: String,
    pub enabled: bool,
    pub cloud_events: bool,
}

/// Whether `url` moves the webhook being edited (`original`) elsewhere: encrypted header
/// values must then be typed again (SPEC §2).
pub fn url_changed(original: Option<&Webhook>, url: &str) -> bool {
    original.is_some_and(|webhook| webhook.url.trim() != url.trim())
}

impl WebhookForm {
    /// An empty create panel: enabled, Qlik's payload format, owned by the person creating it.
    pub fn new(level: Level, owner_id: String) -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            url: String::new(),
            secret: String::new(),
            secret_choice: SecretChoice::Replace,
            headers: Vec::new(),
            event_types: Vec::new(),
            level,
            owner_id,
            enabled: true,
            cloud_events: false,
        }
    }

    /// An edit panel prefilled from `webhook`; write-only values stay blank.
    pub fn from_webhook(webhook: &Webhook) -> Self {
        let plain = webhook.headers.iter().map(|(name, value)| HeaderRow {
            name: name.clone(),
            value: value.clone(),
            encrypted: false,
            stored: false,
        });
        let encrypted = webhook.encrypted_headers.iter().map(|name| HeaderRow {
            name: name.clone(),
            value: String::new(),
            encrypted: true,
            stored: true,
        });
        Self {
            name: webhook.name.clone(),
            description: webhook.description.clone().unwrap_or_default(),
            url: webhook.url.clone(),
            secret: String::new(),
            secret_choice: SecretChoice::Keep,
            headers: plain.chain(encrypted).collect(),
            event_types: webhook.event_types.clone(),
            level: webhook.level,
            owner_id: webhook.owner_id.clone(),
            enabled: webhook.enabled,
            cloud_events: webhook.enable_cloud_event_delivery,
        }
    }

    /// The typed secret, when this save sets one.
    fn new_secret(&self) -> Option<&str> {
        (self.secret_choice == SecretChoice::Replace && !self.secret.is_empty())
            .then_some(self.secret.as_str())
    }

    /// Plain and encrypted headers; `None` values are stored encrypted values left blank.
    fn header_maps(&self) -> (BTreeMap<String, String>, BTreeMap<String, Option<String>>) {
        let mut plain = BTreeMap::new();
        let mut encrypted = BTreeMap::new();
        for row in self.headers.iter().filter(|row| !row.is_blank()) {
            let name = row.name.trim().to_owned();
            if row.encrypted {
                let kept = row.stored && row.value.is_empty();
                encrypted.insert(name, (!kept).then(|| row.value.clone()));
            } else {
                plain.insert(name, row.value.clone());
            }
        }
        (plain, encrypted)
    }

    /// Every broken rule, at most one per field, in the order of the fields. `original` is the
    /// webhook being edited; `catalogue` the tenant's event types.
    pub fn problems(&self, catalogue: &[EventType], original: Option<&Webhook>) -> Vec<AppError> {
        let (plain, encrypted) = self.header_maps();
        // A blank stored value is kept by the server: its name is still checked here, with a
        // stand-in value, since the real one is write-only.
        let encrypted_checked: BTreeMap<String, String> = encrypted
            .iter()
            .map(|(name, value)| (name.clone(), value.clone().unwrap_or_else(|| "x".into())))
            .collect();
        let url_changed = url_changed(original, &self.url);
        // Editing, Replace needs the new value: an empty one would be refused by the server.
        let blank_replacement = (original.is_some()
            && self.secret_choice == SecretChoice::Replace
            && self.secret.is_empty())
        .then(rules::replacement_secret_needed);
        let re_entry = encrypted
            .iter()
            .filter(|(_, value)| url_changed && value.is_none())
            .map(|(name, _)| Err(rules::encrypted_headers_needed(name)));
        [
            rules::name(&self.name).map(drop),
            rules::description(Some(&self.description)).map(drop),
            rules::url(&self.url).map(drop),
            blank_replacement.map_or(Ok(()), Err),
            rules::secret(self.new_secret()).map(drop),
            rules::headers(&plain, &encrypted_checked),
        ]
        .into_iter()
        .chain(re_entry)
        .chain([rules::event_types(&self.event_types, self.level, catalogue).map(drop)])
        .filter_map(Result::err)
        .collect()
    }

    /// The body of a create request.
    pub fn draft(&self) -> WebhookDraft {
        let (headers, encrypted) = self.header_maps();
        WebhookDraft {
            name: self.name.clone(),
            description: Some(self.description.clone()).filter(|text| !text.trim().is_empty()),
            url: self.url.trim().to_owned(),
            event_types: self.event_types.clone(),
            headers,
            encrypted_headers: encrypted
                .into_iter()
                .map(|(name, value)| (name, value.unwrap_or_default()))
                .collect(),
            secret: self.new_secret().map(str::to_owned),
            enabled: Some(self.enabled),
            level: Some(self.level),
            owner_id: Some(self.owner_id.clone()).filter(|id| !id.is_empty()),
            enable_cloud_event_delivery: self.cloud_events,
            ..WebhookDraft::default()
        }
    }

    /// JSON Patch operations for what differs from `original`; empty when nothing does. The
    /// secret is only touched when the person chose Replace or Remove.
    pub fn patch(&self, original: &Webhook) -> Vec<Value> {
        let mut operations = Vec::new();
        let mut replace = |path: &str, value: Value| {
            operations.push(json!({"op": "replace", "path": path, "value": value}));
        };
        if self.name.trim() != original.name {
            replace("/name", json!(self.name));
        }
        let description = self.description.trim();
        if description != original.description.as_deref().unwrap_or_default() {
            replace(
                "/description",
                if description.is_empty() {
                    Value::Null
                } else {
                    json!(description)
                },
            );
        }
        if self.url.trim() != original.url {
            replace("/url", json!(self.url.trim()));
        }
        let mut chosen = self.event_types.clone();
        let mut before = original.event_types.clone();
        chosen.sort();
        before.sort();
        if chosen != before {
            replace("/eventTypes", json!(self.event_types));
        }
        let (headers, encrypted) = self.header_maps();
        if headers != original.headers {
            replace("/headers", json!(headers));
        }
        let same_names = encrypted.keys().eq(original.encrypted_headers.iter());
        if !same_names || encrypted.values().any(Option::is_some) {
            replace("/encryptedHeaders", json!(encrypted));
        }
        if self.enabled != original.enabled {
            replace("/enabled", json!(self.enabled));
        }
        if self.level != original.level {
            replace("/level", json!(self.level));
        }
        if self.owner_id != original.owner_id {
            replace("/ownerId", json!(self.owner_id));
        }
        if self.cloud_events != original.enable_cloud_event_delivery {
            replace("/enableCloudEventDelivery", json!(self.cloud_events));
        }
        match self.secret_choice {
            SecretChoice::Keep => {}
            SecretChoice::Replace => replace("/secret", json!(self.secret)),
            SecretChoice::Remove if original.secret_key_added => {
                operations.push(json!({"op": "remove", "path": "/secret"}));
            }
            SecretChoice::Remove => {}
        }
        operations
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{event_types::built_in, webhooks::Origin};

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn stored() -> Webhook {
        Webhook {
            id: "w-1".into(),
            name: "Orders".into(),
            description: None,
            url: "https://hooks.example.com/orders".into(),
            event_types: vec![
                "com.qlik.v1.app.created".into(),
                "com.qlik.v1.app.deleted".into(),
            ],
            filter: None,
            headers: BTreeMap::from([("X-Team".into(), "orders".into())]),
            encrypted_headers: vec!["X-Token".into()],
            secret_key_added: true,
            enabled: true,
            disabled_reason: None,
            disabled_reason_code: None,
            level: Level::Tenant,
            owner_id: "u-1".into(),
            origin: Origin::ManagementConsole,
            enable_cloud_event_delivery: false,
            check_certificate_revocation: false,
            created_at: "2026-11-23T10:00:00Z".into(),
            updated_at: "2026-11-23T10:00:00Z".into(),
            created_by_user_id: "u-1".into(),
            updated_by_user_id: "u-1".into(),
        }
    }

    fn fields(problems: &[AppError]) -> Vec<String> {
        problems
            .iter()
            .filter_map(|problem| match problem {
                AppError::Invalid { field, .. } => Some(field.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_unchanged_edit_panel_patches_nothing_and_keeps_every_secret() {
        let webhook = stored();
        let form = WebhookForm::from_webhook(&webhook);
        assert_eq!(form.patch(&webhook), Vec::<Value>::new());
        assert!(form.problems(&built_in(), Some(&webhook)).is_empty());
    }

    #[test]
    fn an_edit_sends_only_what_changed() {
        let webhook = stored();
        let mut form = WebhookForm::from_webhook(&webhook);
        form.name = "  Orders (EU) ".into();
        form.event_types.reverse();
        form.enabled = false;
        assert_eq!(
            form.patch(&webhook),
            vec![
                json!({"op": "replace", "path": "/name", "value": "  Orders (EU) "}),
                json!({"op": "replace", "path": "/enabled", "value": false}),
            ]
        );
    }

    #[test]
    fn the_secret_is_replaced_or_removed_only_on_request() {
        let webhook = stored();
        let mut form = WebhookForm::from_webhook(&webhook);
        form.secret_choice = SecretChoice::Replace;
        assert_eq!(
            fields(&form.problems(&built_in(), Some(&webhook))),
            ["/secret"]
        );
        form.secret = "short".into();
        assert_eq!(
            fields(&form.problems(&built_in(), Some(&webhook))),
            ["/secret"]
        );
        form.secret = SECRET.into();
        assert_eq!(
            form.patch(&webhook),
            vec![json!({"op": "replace", "path": "/secret", "value": SECRET})]
        );
        form.secret_choice = SecretChoice::Remove;
        assert_eq!(
            form.patch(&webhook),
            vec![json!({"op": "remove", "path": "/secret"})]
        );
    }

    #[test]
    fn a_new_url_needs_the_encrypted_headers_again() {
        let webhook = stored();
        let mut form = WebhookForm::from_webhook(&webhook);
        form.url = "https://new.example.com/orders".into();
        assert_eq!(
            form.problems(&built_in(), Some(&webhook)),
            [rules::encrypted_headers_needed("X-Token")]
        );
        form.headers[1].value = "new token".into();
        assert!(form.problems(&built_in(), Some(&webhook)).is_empty());
        assert_eq!(
            form.patch(&webhook),
            vec![
                json!({"op": "replace", "path": "/url", "value": "https://new.example.com/orders"}),
                json!({"op": "replace", "path": "/encryptedHeaders", "value": {"X-Token": "new token"}}),
            ]
        );
    }

    #[test]
    fn removing_a_header_row_removes_the_header() {
        let webhook = stored();
        let mut form = WebhookForm::from_webhook(&webhook);
        form.headers.clear();
        form.headers.push(HeaderRow::default());
        assert_eq!(
            form.patch(&webhook),
            vec![
                json!({"op": "replace", "path": "/headers", "value": {}}),
                json!({"op": "replace", "path": "/encryptedHeaders", "value": {}}),
            ]
        );
    }

    #[test]
    fn a_create_panel_reports_each_field_and_builds_the_draft() {
        let mut form = WebhookForm::new(Level::Tenant, "u-1".into());
        form.url = "http://hooks.example.com".into();
        form.secret = "short".into();
        form.headers.push(HeaderRow {
            name: "Host".into(),
            value: "x".into(),
            encrypted: true,
            stored: false,
        });
        assert_eq!(
            fields(&form.problems(&built_in(), None)),
            [
                "/name",
                "/url",
                "/secret",
                "/encryptedHeaders/Host",
                "/eventTypes"
            ]
        );
        assert_eq!(form.headers[0].pointer(), "/encryptedHeaders/Host");

        form.name = "Orders".into();
        form.url = " https://hooks.example.com/in ".into();
        form.secret.clear();
        form.headers[0].name = "X-Token".into();
        form.headers.push(HeaderRow::default());
        form.event_types = vec!["com.qlik.v1.app.created".into()];
        assert!(form.problems(&built_in(), None).is_empty());
        let draft = form.draft();
        assert_eq!(draft.url, "https://hooks.example.com/in");
        assert_eq!(draft.secret, None, "no secret typed, none sent");
        assert_eq!(draft.description, None);
        assert_eq!(draft.enabled, Some(true));
        assert_eq!(
            draft.encrypted_headers,
            BTreeMap::from([("X-Token".into(), "x".into())])
        );
        assert!(draft.headers.is_empty(), "the blank row is not a header");
    }

    #[test]
    fn a_user_level_webhook_may_use_only_user_level_types() {
        let mut form = WebhookForm::new(Level::User, "u-2".into());
        form.name = "Mine".into();
        form.url = "https://hooks.example.com/in".into();
        form.event_types = vec!["com.qlik.v1.user.created".into()];
        assert_eq!(fields(&form.problems(&built_in(), None)), ["/eventTypes/0"]);
    }
}
