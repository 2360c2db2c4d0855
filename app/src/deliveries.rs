//! The delivery resource (SPEC §5.6) as the REST API and the console exchange it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Success,
    Fail,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Success => "success",
            DeliveryStatus::Fail => "fail",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Success, Self::Fail]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// What made a delivery: an event (`automatic`), a person's resend (`manual`) or a test event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    Automatic,
    Manual,
    Test,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Automatic => "automatic",
            Trigger::Manual => "manual",
            Trigger::Test => "test",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Automatic, Self::Manual, Self::Test]
            .into_iter()
            .find(|trigger| trigger.as_str() == text)
    }
}

/// The value encrypted headers show in history instead of their values.
pub const OMITTED: &str = "**OMITTED**";

/// One delivery of one event to one webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub status_message: String,
    pub trigger: Trigger,
    pub triggered_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    pub attempt_count: u32,
    pub request: DeliveryRequest,
    /// The last attempt's response, once an attempt got one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<DeliveryResponse>,
    /// Every attempt, oldest first. Lists leave them out (`None`); one delivery has them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<Attempt>>,
}

/// The request of the last attempt (or, before the first, the one it will make).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRequest {
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// The exact body sent, a JSON document: it travels as JSON, not as a quoted string.
    #[serde(with = "json_text")]
    pub body: String,
}

/// What the endpoint answered on the last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResponse {
    pub status_code: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub duration_ms: u64,
}

/// One attempt: what was answered, or why nothing was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub number: u32,
    pub started_at: String,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
}

/// One page of a webhook's deliveries, with the opaque cursors of its neighbours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPage {
    pub data: Vec<Delivery>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// A `String` that holds a JSON document, written into the surrounding JSON as that document
/// and read back from any JSON value as its text.
mod json_text {
    use serde::{de::Error as _, ser::Error as _, Deserialize, Deserializer, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(text.to_owned()).map_err(S::Error::custom)?;
        serde::Serialize::serialize(&raw, serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer).map_err(D::Error::custom)?;
        Ok(raw.get().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_body_travels_as_json_byte_for_byte() {
        let request = DeliveryRequest {
            url: "https://example.com/hook".into(),
            headers: BTreeMap::new(),
            body: r#"{"b":1,"a":[2.50,"x"]}"#.into(),
        };
        let json = serde_json::to_string(&request).expect("serialises");
        assert!(json.contains(r#""body":{"b":1,"a":[2.50,"x"]}"#), "{json}");
        let back: DeliveryRequest = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, request);
    }

    #[test]
    fn statuses_and_triggers_read_what_they_write() {
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Success,
            DeliveryStatus::Fail,
        ] {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
        }
        for trigger in [Trigger::Automatic, Trigger::Manual, Trigger::Test] {
            assert_eq!(Trigger::parse(trigger.as_str()), Some(trigger));
        }
        assert_eq!(DeliveryStatus::parse("done"), None);
    }
}
