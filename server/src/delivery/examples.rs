//! The example event a test delivery sends (`POST …/webhooks/{id}/actions/test`): for built-in
//! types the `data` below, for a tenant's custom type the example data it was created with.

use sqlx::AnyConnection;

use crate::{
    db::{event_types, TenantId},
    error::Result,
};

/// Example `data` of the built-in types, shaped like Qlik's events of the same type.
const BUILT_IN_EXAMPLES: &[(&str, &str)] = &[
    (
        "com.qlik.v1.app.created",
        r#"{"id":"00000000-0000-0000-0000-000000000001","name":"Example app","spaceId":"00000000-0000-0000-0000-000000000002"}"#,
    ),
    (
        "com.qlik.v1.app.deleted",
        r#"{"id":"00000000-0000-0000-0000-000000000001","name":"Example app"}"#,
    ),
    (
        "com.qlik.v1.app.data.updated",
        r#"{"id":"00000000-0000-0000-0000-000000000001","name":"Example app","lastReloadTime":"2026-01-01T00:00:00Z"}"#,
    ),
    (
        "com.qlik.v1.app.reload.finished",
        r#"{"id":"00000000-0000-0000-0000-000000000001","status":"ok","duration":"PT12S"}"#,
    ),
    (
        "com.qlik.v1.app.published",
        r#"{"id":"00000000-0000-0000-0000-000000000001","name":"Example app","publishedSpaceId":"00000000-0000-0000-0000-000000000003"}"#,
    ),
    (
        "com.qlik.v1.app.exported",
        r#"{"id":"00000000-0000-0000-0000-000000000001","name":"Example app","exportedFormat":"qvf"}"#,
    ),
    (
        "com.qlik.v1.reload.finished",
        r#"{"id":"00000000-0000-0000-0000-000000000004","appId":"00000000-0000-0000-0000-000000000001","status":"SUCCEEDED","duration":"PT12S"}"#,
    ),
    (
        "com.qlik.v1.user.created",
        r#"{"id":"00000000-0000-0000-0000-000000000005","name":"Example user","email":"user@example.com"}"#,
    ),
    (
        "com.qlik.v1.user.deleted",
        r#"{"id":"00000000-0000-0000-0000-000000000005"}"#,
    ),
];

/// The example `data` of `event_type` in the tenant's catalogue, if it is one.
pub async fn example_data(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    event_type: &str,
) -> Result<Option<String>> {
    if let Some((_, data)) = BUILT_IN_EXAMPLES
        .iter()
        .find(|(name, _)| *name == event_type)
    {
        return Ok(Some((*data).to_owned()));
    }
    Ok(event_types::list(conn, tenant)
        .await?
        .into_iter()
        .find(|row| row.name == event_type)
        .map(|row| row.example_data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_type_has_valid_example_data() {
        for event_type in app::event_types::built_in() {
            let (_, data) = BUILT_IN_EXAMPLES
                .iter()
                .find(|(name, _)| *name == event_type.name)
                .unwrap_or_else(|| panic!("no example for {}", event_type.name));
            serde_json::from_str::<serde_json::Value>(data).expect("valid JSON");
        }
    }
}
