//! Webhook request bodies as JSON: reading a POST or PUT body (or a patched document) field by
//! field, so that every problem names its field, and the normalised document a JSON Patch is
//! applied to.

use std::collections::BTreeMap;

use app::{
    error::AppError,
    event_types::Level,
    validation::pointer,
    webhooks::{Origin, WebhookDraft, READ_ONLY_FIELDS},
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Result;

/// The fields a client may write, in the order of SPEC §2.
pub const WRITABLE_FIELDS: [&str; 13] = [
    "name",
    "description",
    "url",
    "eventTypes",
    "filter",
    "headers",
    "encryptedHeaders",
    "enabled",
    "secret",
    "level",
    "ownerId",
    "enableCloudEventDelivery",
    "checkCertificateRevocation",
];

/// What kind of body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// POST: `origin` may be given.
    Create,
    /// PUT: `origin` is read-only.
    Replace,
    /// A patched document: as PUT, and an encrypted header may be `null` (left as stored).
    Patched,
}

/// A body read into a draft. An encrypted header whose value is `null` keeps its stored value
/// (only a patched document has those: stored values are never shown to clients).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    pub draft: WebhookDraft,
    pub kept_encrypted_headers: Vec<String>,
}

/// Reads a request body. Unknown fields are 400, read-only ones 409, wrong types 400.
pub fn read_body(value: &Value, kind: BodyKind) -> Result<Body> {
    let Some(object) = value.as_object() else {
        return Err(AppError::invalid("", "The body must be a JSON object.").into());
    };
    for field in object.keys() {
        let writable = WRITABLE_FIELDS.contains(&field.as_str())
            || (kind == BodyKind::Create && field == "origin");
        if writable {
            continue;
        }
        if READ_ONLY_FIELDS.contains(&field.as_str()) || field == "origin" {
            return Err(AppError::Conflict(format!("{field} is read-only.")).into());
        }
        return Err(AppError::invalid(
            format!("/{}", pointer::escape(field)),
            format!("{field} is not a field of a webhook."),
        )
        .into());
    }
    let mut body = Body::default();
    let draft = &mut body.draft;
    draft.name = text(object, "name")?.unwrap_or_default();
    draft.description = text(object, "description")?;
    draft.url = text(object, "url")?.unwrap_or_default();
    draft.event_types = text_list(object, "eventTypes")?;
    draft.filter = text(object, "filter")?;
    draft.headers = header_map(object, "headers")?
        .into_iter()
        .map(|(name, value)| {
            value
                .map(|value| (name.clone(), value))
                .ok_or_else(|| header_value_needed("headers", &name))
        })
        .collect::<Result<_>>()?;
    for (name, value) in header_map(object, "encryptedHeaders")? {
        match value {
            Some(value) => {
                draft.encrypted_headers.insert(name, value);
            }
            None if kind == BodyKind::Patched => body.kept_encrypted_headers.push(name),
            None => return Err(header_value_needed("encryptedHeaders", &name)),
        }
    }
    draft.enabled = flag(object, "enabled")?;
    draft.secret = text(object, "secret")?;
    draft.level = choice(object, "level", Level::parse, "tenant or user")?;
    draft.owner_id = text(object, "ownerId")?;
    draft.origin = choice(
        object,
        "origin",
        Origin::parse,
        "api, automations or management-console",
    )?;
    draft.enable_cloud_event_delivery = flag(object, "enableCloudEventDelivery")?.unwrap_or(false);
    draft.check_certificate_revocation =
        flag(object, "checkCertificateRevocation")?.unwrap_or(false);
    Ok(body)
}

/// A header given as `null` where a value is needed.
pub(super) fn header_value_needed(field: &str, name: &str) -> crate::error::Error {
    AppError::invalid(
        format!("/{field}/{}", pointer::escape(name)),
        format!("Give the header {name} a value."),
    )
    .into()
}

fn wrong_type(field: &str, expected: &str) -> crate::error::Error {
    AppError::invalid(format!("/{field}"), format!("{field} must be {expected}.")).into()
}

/// One field of a JSON object body, of any type serde reads; absent or `null` is the type's
/// empty value (`None` for an `Option`), and a value of another type is refused naming the
/// field. Shared by every JSON body the API reads field by field.
pub fn field<T: DeserializeOwned + Default>(
    object: &Map<String, Value>,
    name: &str,
    expected: &str,
) -> Result<T> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => T::deserialize(value).map_err(|_| wrong_type(name, expected)),
    }
}

/// A string field; `null` and absent are both "not given".
fn text(object: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    field(object, name, "a string")
}

fn flag(object: &Map<String, Value>, name: &str) -> Result<Option<bool>> {
    field(object, name, "true or false")
}

fn choice<T>(
    object: &Map<String, Value>,
    field: &str,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>> {
    text(object, field)?
        .map(|value| parse(&value).ok_or_else(|| wrong_type(field, expected)))
        .transpose()
}

fn text_list(object: &Map<String, Value>, field: &str) -> Result<Vec<String>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    AppError::invalid(format!("/{field}/{index}"), "Each entry must be a string.")
                        .into()
                })
            })
            .collect(),
        Some(_) => Err(wrong_type(field, "a list of strings")),
    }
}

fn header_map(
    object: &Map<String, Value>,
    field: &str,
) -> Result<BTreeMap<String, Option<String>>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, value)| match value {
                Value::String(text) => Ok((name.clone(), Some(text.clone()))),
                Value::Null => Ok((name.clone(), None)),
                _ => Err(AppError::invalid(
                    format!("/{field}/{}", pointer::escape(name)),
                    "A header value must be a string.",
                )
                .into()),
            })
            .collect(),
        Some(_) => Err(wrong_type(field, "an object of header names and values")),
    }
}

/// What a stored webhook looks like to a JSON Patch: every writable field present (absent
/// optional ones as `null`), the secret as `null` and encrypted header values as `null`, so a
/// patch can replace or remove them but never read them.
pub fn normalised_document(draft: &WebhookDraft, encrypted_header_names: &[String]) -> Value {
    let encrypted: Map<String, Value> = encrypted_header_names
        .iter()
        .map(|name| (name.clone(), Value::Null))
        .collect();
    serde_json::json!({
        "name": draft.name,
        "description": draft.description,
        "url": draft.url,
        "eventTypes": draft.event_types,
        "filter": draft.filter,
        "headers": draft.headers,
        "encryptedHeaders": encrypted,
        "enabled": draft.enabled.unwrap_or(false),
        "secret": Value::Null,
        "level": draft.level.map(Level::as_str),
        "ownerId": draft.owner_id,
        "enableCloudEventDelivery": draft.enable_cloud_event_delivery,
        "checkCertificateRevocation": draft.check_certificate_revocation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error_of(value: Value, kind: BodyKind) -> AppError {
        read_body(&value, kind)
            .expect_err("refused")
            .into_app_error()
    }

    #[test]
    fn a_full_body_is_read() {
        let body = read_body(
            &json!({
                "name": "n", "url": "https://h.example.com", "eventTypes": ["a"],
                "headers": {"X-A": "1"}, "encryptedHeaders": {"X-B": "2"}, "enabled": false,
                "secret": "s", "level": "user", "ownerId": "u", "origin": "automations",
                "enableCloudEventDelivery": true, "description": null
            }),
            BodyKind::Create,
        )
        .expect("valid");
        assert_eq!(body.draft.level, Some(Level::User));
        assert_eq!(body.draft.origin, Some(Origin::Automations));
        assert_eq!(body.draft.enabled, Some(false));
        assert_eq!(body.draft.encrypted_headers["X-B"], "2");
        assert!(body.draft.enable_cloud_event_delivery);
        assert_eq!(body.draft.description, None);
    }

    #[test]
    fn unknown_read_only_and_mistyped_fields_are_named() {
        assert!(error_of(json!({"nmae": "x"}), BodyKind::Create)
            .message_for("/nmae")
            .is_some());
        assert!(matches!(
            error_of(json!({"id": "x"}), BodyKind::Create),
            AppError::Conflict(_)
        ));
        assert!(matches!(
            error_of(json!({"origin": "api"}), BodyKind::Replace),
            AppError::Conflict(_)
        ));
        assert!(error_of(json!({"enabled": "yes"}), BodyKind::Create)
            .message_for("/enabled")
            .is_some());
        assert!(error_of(json!({"eventTypes": [1]}), BodyKind::Create)
            .message_for("/eventTypes/0")
            .is_some());
        assert!(error_of(json!({"level": "team"}), BodyKind::Create)
            .message_for("/level")
            .is_some());
        assert!(
            error_of(json!({"headers": {"X-A": null}}), BodyKind::Create)
                .message_for("/headers/X-A")
                .is_some()
        );
        assert!(error_of(json!([]), BodyKind::Create)
            .message_for("")
            .is_some());
    }

    #[test]
    fn the_normalised_document_hides_write_only_values() {
        let draft = WebhookDraft {
            name: "n".into(),
            secret: Some("a secret that must not show".into()),
            encrypted_headers: [("X-B".to_owned(), "hidden".to_owned())].into(),
            ..WebhookDraft::default()
        };
        let document = normalised_document(&draft, &["X-B".to_owned()]);
        let text = document.to_string();
        assert!(
            !text.contains("a secret") && !text.contains("hidden"),
            "{text}"
        );
        assert_eq!(document["encryptedHeaders"], json!({"X-B": null}));
        assert_eq!(document["description"], Value::Null);
    }
}
