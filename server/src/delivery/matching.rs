//! Which webhooks an event goes to: the tenant's enabled subscribers to its type whose filter
//! matches it; a `user`-level webhook only when the event's `ownerid` or `userid` is its owner
//! (by Herald id or external id).
//!
//! Matching runs before the write transaction and its cost does not grow with the event's size
//! times the number of filters: each subscriber's filter is parsed once per request and an
//! event's `data` at most once, whatever the number of webhooks and filter terms.

use std::{cell::OnceCell, sync::Arc};

use app::webhooks::filter::{self, Attribute, Filter};

use super::payload::EventRecord;
use crate::db::webhooks::WebhookRow;

/// An enabled subscriber of an event type, its filter parsed.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub webhook: Arc<WebhookRow>,
    owner_external_id: Option<String>,
    /// `None` without a filter; a stored filter that no longer parses matches nothing rather
    /// than everything.
    filter: Option<Option<Filter>>,
}

impl Subscriber {
    /// `webhook`, whose owner has the external id `owner_external_id`.
    pub fn new(webhook: WebhookRow, owner_external_id: Option<String>) -> Self {
        let filter = webhook.filter.as_deref().map(|text| match filter::parse(text) {
            Ok(filter) => Some(filter),
            Err(error) => {
                tracing::warn!(webhook_id = %webhook.id, %error, "stored filter does not parse");
                None
            }
        });
        Self {
            webhook: Arc::new(webhook),
            owner_external_id,
            filter,
        }
    }

    /// Whether `event` goes to this subscriber.
    pub fn matches(&self, event: &Attributes<'_>) -> bool {
        if self.webhook.level == "user" {
            let owner_ids = [
                Some(self.webhook.owner_id.as_str()),
                self.owner_external_id.as_deref(),
            ];
            let is_owner = |id: &Option<String>| {
                id.as_deref()
                    .is_some_and(|id| owner_ids.contains(&Some(id)))
            };
            if !is_owner(&event.record.owner_id) && !is_owner(&event.record.user_id) {
                return false;
            }
        }
        match &self.filter {
            None => true,
            Some(Some(filter)) => filter.matches(&|attribute| event.value_of(attribute)),
            Some(None) => false,
        }
    }
}

/// The attributes of an event that filters compare; `data.status` is read from `data` the
/// first time a filter asks for it.
pub struct Attributes<'a> {
    record: &'a EventRecord,
    data_status: OnceCell<Option<String>>,
}

impl<'a> Attributes<'a> {
    pub fn of(record: &'a EventRecord) -> Self {
        Self {
            record,
            data_status: OnceCell::new(),
        }
    }

    /// Whether a filter made `data` be parsed.
    pub fn data_parsed(&self) -> bool {
        self.data_status.get().is_some()
    }

    fn value_of(&self, attribute: Attribute) -> Option<String> {
        let record = self.record;
        match attribute {
            Attribute::Id => Some(record.id.clone()),
            Attribute::SpaceId => record.space_id.clone(),
            Attribute::TopLevelResourceId => record.top_level_resource_id.clone(),
            Attribute::DataStatus => self
                .data_status
                .get_or_init(|| data_status(record.data.as_deref()))
                .clone(),
        }
    }
}

/// `data.status` when `data` is an object whose `status` is a string.
fn data_status(data: Option<&str>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Data {
        status: Option<serde_json::Value>,
    }
    let data = data?;
    // A struct would also be read from an array (`["ok"]`): only an object has members.
    if !data.trim_start().starts_with('{') {
        return None;
    }
    let data: Data = serde_json::from_str(data).ok()?;
    match data.status? {
        serde_json::Value::String(status) => Some(status),
        _ => None,
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
            let subscriber = Subscriber::new(webhook("tenant", Some(filter)), None);
            assert_eq!(
                subscriber.matches(&Attributes::of(&event)),
                expected,
                "{filter}"
            );
        }
    }

    #[test]
    fn user_level_webhooks_get_their_owners_events_only() {
        let matches = |event: &EventRecord, level: &str, external_id: Option<&str>| {
            Subscriber::new(webhook(level, None), external_id.map(str::to_owned))
                .matches(&Attributes::of(event))
        };
        let mut event = event();
        assert!(
            matches(&event, "user", Some("ext-7")),
            "userid = external id"
        );
        assert!(!matches(&event, "user", Some("ext-8")));
        assert!(!matches(&event, "user", None));
        event.user_id = None;
        event.owner_id = Some("user-1".into());
        assert!(matches(&event, "user", None), "ownerid = Herald id");
        assert!(matches(&event, "tenant", None));
    }

    #[test]
    fn data_is_parsed_once_for_any_number_of_filters_and_only_when_one_asks() {
        let event = event();
        let terms: Vec<String> = (0..80)
            .map(|n| format!(r#"data.status eq "s{n}""#))
            .collect();
        let subscribers: Vec<Subscriber> = (0..100)
            .map(|_| Subscriber::new(webhook("tenant", Some(&terms.join(" or "))), None))
            .collect();
        let attributes = Attributes::of(&event);
        assert!(!attributes.data_parsed());
        assert!(subscribers.iter().all(|s| !s.matches(&attributes)));
        assert!(attributes.data_parsed());
        assert_eq!(
            attributes.value_of(Attribute::DataStatus).as_deref(),
            Some("ok")
        );

        let by_space = Subscriber::new(webhook("tenant", Some(r#"spaceId eq "space-1""#)), None);
        let attributes = Attributes::of(&event);
        assert!(by_space.matches(&attributes));
        assert!(!attributes.data_parsed(), "no filter asked for data.status");
    }

    #[test]
    fn data_status_is_a_string_member_of_an_object() {
        for (data, expected) in [
            (r#"{"status":"ok"}"#, Some("ok")),
            (r#"{"status":1}"#, None),
            (r#"{"other":"ok"}"#, None),
            (r#"["status"]"#, None),
            ("\"ok\"", None),
        ] {
            assert_eq!(data_status(Some(data)).as_deref(), expected, "{data}");
        }
        assert_eq!(data_status(None), None);
    }
}
