//! Which webhooks an event goes to (SPEC §5.1): the tenant's enabled subscribers to its type
//! whose filter matches it; a `user`-level webhook only when the event's `ownerid` or `userid`
//! is its owner (by Herald id or external id).

use app::webhooks::filter::{self, Attribute};

use super::payload::EventRecord;
use crate::db::webhooks::WebhookRow;

/// Whether `event` goes to `webhook`, whose owner has the external id `owner_external_id`.
/// The caller has already chosen enabled subscribers of the event's type.
pub fn matches(event: &EventRecord, webhook: &WebhookRow, owner_external_id: Option<&str>) -> bool {
    if webhook.level == "user" {
        let owner_ids = [Some(webhook.owner_id.as_str()), owner_external_id];
        let is_owner = |id: &Option<String>| {
            id.as_deref()
                .is_some_and(|id| owner_ids.contains(&Some(id)))
        };
        if !is_owner(&event.owner_id) && !is_owner(&event.user_id) {
            return false;
        }
    }
    match &webhook.filter {
        None => true,
        Some(text) => match filter::parse(text) {
            Ok(filter) => filter.matches(&|attribute| value_of(event, attribute)),
            // Stored filters were validated; one that no longer parses matches nothing rather
            // than everything.
            Err(error) => {
                tracing::warn!(webhook_id = %webhook.id, %error, "stored filter does not parse");
                false
            }
        },
    }
}

fn value_of(event: &EventRecord, attribute: Attribute) -> Option<String> {
    match attribute {
        Attribute::Id => Some(event.id.clone()),
        Attribute::SpaceId => event.space_id.clone(),
        Attribute::TopLevelResourceId => event.top_level_resource_id.clone(),
        Attribute::DataStatus => event.data.as_deref().and_then(|data| {
            serde_json::from_str::<serde_json::Value>(data)
                .ok()?
                .get("status")?
                .as_str()
                .map(str::to_owned)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> EventRecord {
        EventRecord {
            id: "e-1".into(),
            source: "/apps".into(),
            event_type: "com.qlik.v1.app.reload.finished".into(),
            time: "2026-01-01T00:00:00Z".into(),
            data_content_type: "application/json".into(),
            tenant_id: "t".into(),
            user_id: Some("ext-7".into()),
            owner_id: None,
            space_id: Some("space-1".into()),
            top_level_resource_id: None,
            data: Some(r#"{"status":"ok","n":1}"#.into()),
        }
    }

    fn webhook(level: &str, filter: Option<&str>) -> WebhookRow {
        WebhookRow {
            id: "w".into(),
            tenant_id: "t".into(),
            name: "n".into(),
            description: None,
            url: "https://h.example.com".into(),
            filter: filter.map(str::to_owned),
            headers: "{}".into(),
            encrypted_headers: None,
            encrypted_header_names: "[]".into(),
            secret: None,
            enabled: 1,
            disabled_reason: None,
            disabled_reason_code: None,
            level: level.into(),
            owner_id: "user-1".into(),
            origin: "api".into(),
            enable_cloud_event_delivery: 0,
            check_certificate_revocation: 0,
            created_at: 0,
            updated_at: 0,
            created_by_user_id: "user-1".into(),
            updated_by_user_id: "user-1".into(),
        }
    }

    #[test]
    fn filters_compare_the_event_attributes() {
        let event = event();
        for (filter, expected) in [
            (r#"spaceId eq "space-1""#, true),
            (r#"spaceId eq "space-2""#, false),
            (r#"data.status eq "ok" and id eq "e-1""#, true),
            (r#"topLevelResourceId ne "x""#, true),
            (r#"(id eq "no") or data.status eq "ok""#, true),
            (r#"data.status eq "error""#, false),
        ] {
            assert_eq!(
                matches(&event, &webhook("tenant", Some(filter)), None),
                expected,
                "{filter}"
            );
        }
    }

    #[test]
    fn user_level_webhooks_get_their_owners_events_only() {
        let mut event = event();
        assert!(
            matches(&event, &webhook("user", None), Some("ext-7")),
            "userid = external id"
        );
        assert!(!matches(&event, &webhook("user", None), Some("ext-8")));
        assert!(!matches(&event, &webhook("user", None), None));
        event.user_id = None;
        event.owner_id = Some("user-1".into());
        assert!(
            matches(&event, &webhook("user", None), None),
            "ownerid = Herald id"
        );
        assert!(matches(&event, &webhook("tenant", None), None));
    }
}
