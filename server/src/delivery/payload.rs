//! The body of a delivery request (SPEC §5.2), built once per event and format. The bytes made
//! here are stored, signed, sent and shown in history, so they are built by hand in a fixed
//! field order, with the event's `data` copied verbatim as the JSON text it arrived as.

use serde_json::Value;

/// What an accepted event carries into its deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub id: String,
    pub source: String,
    pub event_type: String,
    /// RFC 3339 UTC.
    pub time: String,
    pub data_content_type: String,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub owner_id: Option<String>,
    pub space_id: Option<String>,
    pub top_level_resource_id: Option<String>,
    /// The `data` member exactly as received (valid JSON text), when the event had one.
    pub data: Option<String>,
}

/// Which shape the webhook asked for (`enableCloudEventDelivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Qlik's legacy envelope, the default.
    Legacy,
    /// CloudEvents 1.0, structured JSON.
    CloudEvents,
}

impl Format {
    /// As stored with a delivery.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Legacy => "legacy",
            Format::CloudEvents => "cloudevents",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Format::Legacy, Format::CloudEvents]
            .into_iter()
            .find(|format| format.as_str() == text)
    }
}

/// The request body for `event` in `format`.
pub fn body(event: &EventRecord, format: Format) -> String {
    match format {
        Format::Legacy => legacy(event),
        Format::CloudEvents => cloud_event(event),
    }
}

fn legacy(event: &EventRecord) -> String {
    let mut out = JsonObject::new();
    out.text("cloudEventsVersion", "0.1");
    out.text("source", &event.source);
    out.text("contentType", &event.data_content_type);
    out.text("eventId", &event.id);
    out.text("eventTime", &event.time);
    out.text("eventTypeVersion", "1.0.0");
    out.text("eventType", &event.event_type);
    let mut extensions = JsonObject::new();
    extensions.text("tenantId", &event.tenant_id);
    for (name, _, value) in optional_extensions(event) {
        extensions.text(name, value);
    }
    out.raw("extensions", &extensions.finish());
    if let Some(data) = &event.data {
        out.raw("data", data);
    }
    out.finish()
}

fn cloud_event(event: &EventRecord) -> String {
    let mut out = JsonObject::new();
    out.text("specversion", "1.0");
    out.text("id", &event.id);
    out.text("source", &event.source);
    out.text("type", &event.event_type);
    out.text("time", &event.time);
    out.text("datacontenttype", &event.data_content_type);
    out.text("tenantid", &event.tenant_id);
    for (_, name, value) in optional_extensions(event) {
        out.text(name, value);
    }
    if let Some(data) = &event.data {
        out.raw("data", data);
    }
    out.finish()
}

/// The optional extension attributes the event has, in SPEC order: (legacy name, CloudEvents
/// name, value).
fn optional_extensions(
    event: &EventRecord,
) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
    [
        ("userId", "userid", &event.user_id),
        ("ownerId", "ownerid", &event.owner_id),
        ("spaceId", "spaceid", &event.space_id),
        (
            "topLevelResourceId",
            "toplevelresourceid",
            &event.top_level_resource_id,
        ),
    ]
    .into_iter()
    .filter_map(|(legacy, cloud_event, value)| {
        value.as_deref().map(|value| (legacy, cloud_event, value))
    })
}

/// A compact JSON object written member by member, in the order given.
struct JsonObject {
    text: String,
}

impl JsonObject {
    fn new() -> Self {
        Self {
            text: String::from("{"),
        }
    }

    fn key(&mut self, name: &str) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        self.text.push_str(&Value::from(name).to_string());
        self.text.push(':');
    }

    fn text(&mut self, name: &str, value: &str) {
        self.key(name);
        self.text.push_str(&Value::from(value).to_string());
    }

    /// `value` must already be JSON text.
    fn raw(&mut self, name: &str, value: &str) {
        self.key(name);
        self.text.push_str(value);
    }

    fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> EventRecord {
        EventRecord {
            id: "e65c1481-e8a-4be-a5ca-27dfcde077d7".into(),
            source: "com.qlik/engine".into(),
            event_type: "com.qlik.v1.app.deleted".into(),
            time: "2021-03-08T14:51:29Z".into(),
            data_content_type: "application/json".into(),
            tenant_id: "oZcMPa_1PwH4FUdrh6839YHHdEJN".into(),
            user_id: Some("vNRGrDZIypJtcGTzauw59BbpqbmI".into()),
            owner_id: Some("vNRGrDZIypJzauw59BbpvkRhqbmI".into()),
            space_id: None,
            top_level_resource_id: None,
            // Spacing and key order as the publisher sent them, kept byte for byte.
            data: Some(r#"{ "attributes": {"name": "New App", "published": false} }"#.into()),
        }
    }

    #[test]
    fn the_legacy_envelope_matches_qliks_example() {
        assert_eq!(
            body(&event(), Format::Legacy),
            concat!(
                r#"{"cloudEventsVersion":"0.1","source":"com.qlik/engine","#,
                r#""contentType":"application/json","eventId":"e65c1481-e8a-4be-a5ca-27dfcde077d7","#,
                r#""eventTime":"2021-03-08T14:51:29Z","eventTypeVersion":"1.0.0","#,
                r#""eventType":"com.qlik.v1.app.deleted","#,
                r#""extensions":{"tenantId":"oZcMPa_1PwH4FUdrh6839YHHdEJN","#,
                r#""userId":"vNRGrDZIypJtcGTzauw59BbpqbmI","ownerId":"vNRGrDZIypJzauw59BbpvkRhqbmI"},"#,
                r#""data":{ "attributes": {"name": "New App", "published": false} }}"#,
            )
        );
    }

    #[test]
    fn the_cloud_event_is_structured_json_1_0() {
        let mut event = event();
        event.space_id = Some("space \"one\"".into());
        event.data = None;
        let text = body(&event, Format::CloudEvents);
        assert_eq!(
            text,
            concat!(
                r#"{"specversion":"1.0","id":"e65c1481-e8a-4be-a5ca-27dfcde077d7","#,
                r#""source":"com.qlik/engine","type":"com.qlik.v1.app.deleted","#,
                r#""time":"2021-03-08T14:51:29Z","datacontenttype":"application/json","#,
                r#""tenantid":"oZcMPa_1PwH4FUdrh6839YHHdEJN","userid":"vNRGrDZIypJtcGTzauw59BbpqbmI","#,
                r#""ownerid":"vNRGrDZIypJzauw59BbpvkRhqbmI","spaceid":"space \"one\""}"#,
            )
        );
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed["spaceid"], "space \"one\"");
    }

    #[test]
    fn both_bodies_are_valid_json_with_the_data_unchanged() {
        for format in [Format::Legacy, Format::CloudEvents] {
            let text = body(&event(), format);
            let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(parsed["data"]["attributes"]["name"], "New App");
            assert!(text.contains(r#"{ "attributes": {"name": "New App", "published": false} }"#));
        }
    }
}
