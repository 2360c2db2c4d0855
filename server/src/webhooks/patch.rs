//! `PATCH …/webhooks/{id}` (SPEC §4.1): RFC 6902 JSON Patch with `add`, `remove` and `replace`
//! only, on the writable fields and their members, applied to the normalised document; the
//! whole result is validated and saved in one transaction, or nothing changes.

use app::{
    accounts::Caller,
    error::AppError,
    validation::pointer,
    webhooks::{Webhook, READ_ONLY_FIELDS},
};
use serde_json::Value;

use super::{
    access,
    document::{normalised_document, read_body, Body, BodyKind, WRITABLE_FIELDS},
    stored,
    write::Write,
    Webhooks,
};
use crate::{
    db::{webhooks, webhooks::WebhookRow, TenantId},
    error::Result,
};

const ALLOWED_OPERATIONS: [&str; 3] = ["add", "remove", "replace"];

impl Webhooks {
    /// Applies `operations` (the request body) to a webhook the caller can see; the result.
    pub async fn patch(&self, caller: &Caller, id: &str, operations: &Value) -> Result<Webhook> {
        access::require_webhooks_scope(caller)?;
        let paths = check_operations(operations)?;
        let patch: json_patch::Patch = serde_json::from_value(operations.clone())
            .map_err(|error| AppError::invalid("", format!("Not a JSON Patch: {error}")))?;
        let secret_touched = paths.iter().any(|path| path == "/secret");
        self.write(
            caller,
            Write::Patch {
                id: id.to_owned(),
                patch,
                secret_touched,
            },
        )
        .await
    }
}

/// The body a patch makes of the stored webhook `row`: the patch applied to its normalised
/// document, read back as a PUT body would be.
pub(super) async fn patched_body(
    tx: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    row: &WebhookRow,
    patch: &json_patch::Patch,
) -> Result<Body> {
    let mut types = webhooks::event_types_of(tx, tenant, &[row.id.as_str()]).await?;
    let draft = stored::to_draft(row, types.remove(&row.id).unwrap_or_default())?;
    let mut document = normalised_document(&draft, &stored::encrypted_header_names(row)?);
    json_patch::patch(&mut document, patch).map_err(|error| {
        AppError::invalid(
            format!("/{}/path", error.operation),
            format!(
                "Operation {}: the patch does not apply: {error}",
                error.operation
            ),
        )
    })?;
    read_body(&document, BodyKind::Patched)
}

/// Refuses, before anything is applied, operations other than add/remove/replace (400) and
/// paths outside the writable fields (409 for read-only fields, 400 otherwise). Returns each
/// operation's top-level path (e.g. `/headers` for `/headers/X-Team`).
fn check_operations(operations: &Value) -> Result<Vec<String>> {
    let Some(list) = operations.as_array() else {
        return Err(AppError::invalid("", "A JSON Patch is a list of operations.").into());
    };
    if list.is_empty() {
        return Err(AppError::invalid("", "The patch has no operations.").into());
    }
    list.iter()
        .enumerate()
        .map(|(index, operation)| {
            let op = operation
                .get("op")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !ALLOWED_OPERATIONS.contains(&op) {
                return Err(AppError::invalid(
                    format!("/{index}/op"),
                    format!("Operation {index}: only add, remove and replace are supported."),
                )
                .into());
            }
            let path = operation
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let field = path
                .strip_prefix('/')
                .map(|rest| pointer::unescape(rest.split('/').next().unwrap_or_default()))
                .unwrap_or_default();
            if READ_ONLY_FIELDS.contains(&field.as_str()) || field == "origin" {
                return Err(AppError::Conflict(format!("{field} is read-only.")).into());
            }
            if !WRITABLE_FIELDS.contains(&field.as_str()) {
                return Err(AppError::invalid(
                    format!("/{index}/path"),
                    format!("Operation {index}: {path:?} is not a writable field of a webhook."),
                )
                .into());
            }
            if op != "remove" && operation.get("value").is_none() {
                return Err(AppError::invalid(
                    format!("/{index}/value"),
                    format!("Operation {index}: {op} needs a value."),
                )
                .into());
            }
            Ok(format!("/{field}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal(operations: Value) -> AppError {
        check_operations(&operations)
            .expect_err("refused")
            .into_app_error()
    }

    #[test]
    fn only_add_remove_and_replace_on_writable_fields() {
        assert_eq!(
            check_operations(&json!([
                {"op": "replace", "path": "/name", "value": "x"},
                {"op": "add", "path": "/headers/X-Team", "value": "ops"},
                {"op": "remove", "path": "/secret"}
            ]))
            .expect("valid"),
            ["/name", "/headers", "/secret"]
        );
        for op in ["copy", "move", "test", "frobnicate"] {
            assert!(refusal(json!([
                {"op": "replace", "path": "/name", "value": "x"},
                {"op": op, "path": "/name", "from": "/secret", "value": "x"}
            ]))
            .message_for("/1/op")
            .is_some());
        }
        assert!(matches!(
            refusal(json!([{"op": "replace", "path": "/createdAt", "value": "x"}])),
            AppError::Conflict(_)
        ));
        assert!(matches!(
            refusal(json!([{"op": "replace", "path": "/origin", "value": "api"}])),
            AppError::Conflict(_)
        ));
        assert!(refusal(json!([{"op": "add", "path": "/nope", "value": 1}]))
            .message_for("/0/path")
            .is_some());
        assert!(refusal(json!([{"op": "replace", "path": "", "value": {}}]))
            .message_for("/0/path")
            .is_some());
        assert!(refusal(json!([
            {"op": "remove", "path": "/description"},
            {"op": "add", "path": "/headers/X-Team"}
        ]))
        .message_for("/1/value")
        .is_some());
        assert!(refusal(json!({"op": "replace"})).message_for("").is_some());
        assert!(refusal(json!([])).message_for("").is_some());
    }
}
