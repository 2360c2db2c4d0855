//! Reading published events (SPEC §4.2): a CloudEvents 1.0 JSON event, or an array of at most
//! 100. Every problem is reported with a JSON pointer to its member (`/3/type` in a batch), and
//! `data` is kept as the exact JSON text received.

use std::collections::BTreeMap;

use app::error::AppError;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::payload::EventRecord;

/// Most events in one request.
pub const MAX_BATCH: usize = 100;

/// Longest `id`, `source`, `type` and extension value accepted.
const MAX_ATTRIBUTE_LENGTH: usize = 1024;

/// An event as published, before it is given its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedEvent {
    pub id: String,
    pub source: String,
    pub event_type: String,
    /// As given, when given (RFC 3339).
    pub time: Option<String>,
    pub data_content_type: String,
    pub user_id: Option<String>,
    pub owner_id: Option<String>,
    pub space_id: Option<String>,
    pub top_level_resource_id: Option<String>,
    pub data: Option<String>,
    /// SHA-256 (hex) of the event as received, `tenantid` left out: a repeat of the same key
    /// with another fingerprint is a conflict.
    pub fingerprint: String,
}

impl PublishedEvent {
    /// The event with its tenant, and its time (`received_at` when the publisher gave none).
    pub fn into_record(self, tenant_id: &str, received_at: &str) -> EventRecord {
        EventRecord {
            id: self.id,
            source: self.source,
            event_type: self.event_type,
            time: self.time.unwrap_or_else(|| received_at.to_owned()),
            data_content_type: self.data_content_type,
            tenant_id: tenant_id.to_owned(),
            user_id: self.user_id,
            owner_id: self.owner_id,
            space_id: self.space_id,
            top_level_resource_id: self.top_level_resource_id,
            data: self.data,
        }
    }
}

/// The events of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub events: Vec<PublishedEvent>,
    /// Whether they came as an array (problems are then pointed at by index: `/3/type`).
    pub is_batch: bool,
}

impl Published {
    /// The pointer to `member` of event `index`.
    pub fn pointer(&self, index: usize, member: &str) -> String {
        if self.is_batch {
            format!("/{index}/{member}")
        } else {
            format!("/{member}")
        }
    }
}

/// Reads a request body: one event or a batch. All-or-nothing: any problem refuses the whole
/// request, and every problem found is reported.
pub fn parse_body(body: &[u8]) -> Result<Published, Vec<AppError>> {
    let invalid = |message: String| vec![AppError::invalid("", message)];
    let text = std::str::from_utf8(body).map_err(|_| invalid("The body is not UTF-8.".into()))?;
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|error| invalid(format!("The body is not valid JSON: {error}")))?;
    let json = raw.get().trim_start();
    if json.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(json)
            .map_err(|error| invalid(format!("The body is not valid JSON: {error}")))?;
        if items.is_empty() {
            return Err(invalid(
                "The batch is empty: send at least one event.".into(),
            ));
        }
        if items.len() > MAX_BATCH {
            return Err(invalid(format!(
                "A batch holds at most {MAX_BATCH} events; this one has {}.",
                items.len()
            )));
        }
        let mut events = Vec::with_capacity(items.len());
        let mut errors = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            match parse_event(item, &format!("/{index}")) {
                Ok(event) => events.push(event),
                Err(mut found) => errors.append(&mut found),
            }
        }
        if errors.is_empty() {
            Ok(Published {
                events,
                is_batch: true,
            })
        } else {
            Err(errors)
        }
    } else {
        parse_event(raw, "").map(|event| Published {
            events: vec![event],
            is_batch: false,
        })
    }
}

/// Reads one event; `at` is its pointer in the body (`""` or `/3`).
fn parse_event(raw: &RawValue, at: &str) -> Result<PublishedEvent, Vec<AppError>> {
    let members: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).map_err(|_| {
        vec![AppError::invalid(
            at,
            "An event is a JSON object with CloudEvents 1.0 attributes.",
        )]
    })?;
    let mut errors = Vec::new();
    let mut fail = |name: &str, message: String| {
        errors.push(AppError::invalid(format!("{at}/{name}"), message));
    };
    let mut fingerprint = Sha256::new();
    let text_of = |name: &str, fail: &mut dyn FnMut(&str, String)| -> Option<String> {
        let raw = members.get(name)?;
        match serde_json::from_str::<Option<String>>(raw.get()) {
            Ok(Some(text)) if text.chars().count() > MAX_ATTRIBUTE_LENGTH => {
                fail(
                    name,
                    format!("{name} is longer than {MAX_ATTRIBUTE_LENGTH} characters."),
                );
                None
            }
            Ok(value) => value,
            Err(_) => {
                fail(name, format!("{name} must be a string."));
                None
            }
        }
    };
    let required = |name: &str, fail: &mut dyn FnMut(&str, String)| -> String {
        match text_of(name, fail) {
            Some(text) if !text.is_empty() => text,
            Some(_) => {
                fail(name, format!("{name} must not be empty."));
                String::new()
            }
            None if members.get(name).is_some_and(|raw| raw.get() != "null") => String::new(),
            None => {
                fail(name, format!("{name} is required."));
                String::new()
            }
        }
    };
    let spec_version = required("specversion", &mut fail);
    let id = required("id", &mut fail);
    let source = required("source", &mut fail);
    let event_type = required("type", &mut fail);
    if !spec_version.is_empty() && spec_version != "1.0" {
        fail(
            "specversion",
            format!("specversion {spec_version} is not supported: send CloudEvents 1.0."),
        );
    }
    let time = text_of("time", &mut fail);
    if let Some(time) = &time {
        if time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
            .is_err()
        {
            fail(
                "time",
                "time must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z.".into(),
            );
        }
    }
    let data_content_type =
        text_of("datacontenttype", &mut fail).unwrap_or_else(|| "application/json".into());
    let user_id = text_of("userid", &mut fail);
    let owner_id = text_of("ownerid", &mut fail);
    let space_id = text_of("spaceid", &mut fail);
    let top_level_resource_id = text_of("toplevelresourceid", &mut fail);
    let data = members
        .get("data")
        .map(|raw| raw.get().to_owned())
        .filter(|text| text != "null");
    for (name, value) in &members {
        if name == "data_base64" {
            fail(
                name,
                "data_base64 is not supported: send data as JSON.".into(),
            );
        } else if !is_attribute_name(name) {
            fail(
                name,
                format!(
                    "{name} is not a CloudEvents attribute name (lower-case letters and digits, \
                     at most 20)."
                ),
            );
        } else if value.get().starts_with(['{', '[']) && name != "data" {
            fail(name, format!("{name} must be a string, number or boolean."));
        }
        // tenantid is always the API key's: a body value neither counts nor differs.
        if name == "tenantid" {
            continue;
        }
        fingerprint.update(name.as_bytes());
        fingerprint.update([0]);
        let value_text = if name == "data" {
            value.get().to_owned()
        } else {
            serde_json::from_str::<serde_json::Value>(value.get())
                .map(|value| value.to_string())
                .unwrap_or_default()
        };
        fingerprint.update(value_text.as_bytes());
        fingerprint.update([0]);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PublishedEvent {
        id,
        source,
        event_type,
        time,
        data_content_type,
        user_id,
        owner_id,
        space_id,
        top_level_resource_id,
        data,
        fingerprint: hex(&fingerprint.finalize()),
    })
}

/// CloudEvents attribute names: lower-case ASCII letters and digits, 1 to 20 of them
/// (`data` and `data_base64` are the spec's own members).
fn is_attribute_name(name: &str) -> bool {
    name == "data"
        || (!name.is_empty()
            && name.len() <= 20
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(extra: &str) -> String {
        format!(
            r#"{{"specversion":"1.0","id":"e-1","source":"/apps","type":"com.qlik.v1.app.created"{extra}}}"#
        )
    }

    fn pointers(errors: &[AppError]) -> Vec<String> {
        errors
            .iter()
            .map(|error| match error {
                AppError::Invalid { field, .. } => field.clone(),
                other => panic!("not a validation error: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn one_event_keeps_data_as_its_exact_text() {
        let body = event(r#", "data": {"b" : 1.50, "a":[ "x" ]}, "userid":"u-1""#);
        let published = parse_body(body.as_bytes()).expect("valid");
        assert!(!published.is_batch);
        let events = published.events;
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].data.as_deref(),
            Some(r#"{"b" : 1.50, "a":[ "x" ]}"#)
        );
        assert_eq!(events[0].user_id.as_deref(), Some("u-1"));
        assert_eq!(events[0].data_content_type, "application/json");
        assert_eq!(events[0].time, None);
    }

    #[test]
    fn a_batch_reports_every_problem_at_its_index() {
        let body = format!(
            "[{}, {}, {}]",
            event(""),
            r#"{"specversion":"0.3","source":"/a","type":"t","id":""}"#,
            event(r#","time":"yesterday","Bad-Name":1,"data_base64":"AA==""#)
        );
        let errors = parse_body(body.as_bytes()).expect_err("invalid");
        assert_eq!(
            pointers(&errors),
            [
                "/1/id",
                "/1/specversion",
                "/2/time",
                "/2/Bad-Name",
                "/2/data_base64"
            ]
        );
    }

    #[test]
    fn shapes_that_are_not_events_are_refused() {
        for (body, pointer) in [
            ("[]", ""),
            ("{", ""),
            ("42", ""),
            ("[1]", "/0"),
            (r#"{"specversion":"1.0","source":"/a","type":"t"}"#, "/id"),
            (
                r#"{"specversion":"1.0","id":7,"source":"/a","type":"t"}"#,
                "/id",
            ),
            (&event(r#","spaceid":{"a":1}"#), "/spaceid"),
        ] {
            let errors = parse_body(body.as_bytes()).expect_err(body);
            assert_eq!(pointers(&errors)[0], pointer, "{body}");
        }
        let too_many = format!("[{}]", vec![event(""); MAX_BATCH + 1].join(","));
        assert!(parse_body(too_many.as_bytes()).is_err());
        let full = format!("[{}]", vec![event(""); MAX_BATCH].join(","));
        let full = parse_body(full.as_bytes()).expect("100 is fine");
        assert_eq!((full.events.len(), full.is_batch), (100, true));
        assert_eq!(full.pointer(7, "type"), "/7/type");
    }

    #[test]
    fn the_fingerprint_ignores_tenantid_and_member_order_but_not_data_or_attributes() {
        let fingerprint = |body: &str| {
            parse_body(body.as_bytes()).expect(body).events[0]
                .fingerprint
                .clone()
        };
        let base = fingerprint(&event(r#","data":{"a":1}"#));
        assert_eq!(
            base,
            fingerprint(&event(r#","tenantid":"x","data":{"a":1}"#))
        );
        assert_eq!(
            base,
            fingerprint(
                r#"{"data":{"a":1},"type":"com.qlik.v1.app.created","id":"e-1","source":"/apps","specversion":"1.0"}"#
            )
        );
        assert_ne!(base, fingerprint(&event(r#","data":{"a":2}"#)));
        assert_ne!(
            base,
            fingerprint(&event(r#","data":{"a":1},"subject":"s""#))
        );
    }
}
