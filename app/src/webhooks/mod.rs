//! The webhook resource (SPEC §2) as the REST API and the console exchange it.

pub mod filter;
pub mod form;
pub mod list_query;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::event_types::Level;

/// Where a webhook was created from; set on create, read-only afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Api,
    Automations,
    ManagementConsole,
}

impl Origin {
    pub const ALL: [Origin; 3] = [Origin::Api, Origin::Automations, Origin::ManagementConsole];

    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "api",
            Origin::Automations => "automations",
            Origin::ManagementConsole => "management-console",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|origin| origin.as_str() == text)
    }
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Tenant => "tenant",
            Level::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Level::Tenant, Level::User]
            .into_iter()
            .find(|level| level.as_str() == text)
    }
}

/// Why Herald disabled a webhook (SPEC §5.5, §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisabledReasonCode {
    EndpointGone,
    DeliveryFailureThreshold,
    OwnerDeactivated,
}

impl DisabledReasonCode {
    pub const ALL: [Self; 3] = [
        DisabledReasonCode::EndpointGone,
        DisabledReasonCode::DeliveryFailureThreshold,
        DisabledReasonCode::OwnerDeactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DisabledReasonCode::EndpointGone => "endpoint-gone",
            DisabledReasonCode::DeliveryFailureThreshold => "delivery-failure-threshold",
            DisabledReasonCode::OwnerDeactivated => "owner-deactivated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }
}

/// A webhook as it is returned: write-only values (the secret, encrypted header values) never
/// leave the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub url: String,
    pub event_types: Vec<String>,
    pub filter: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// The names of the encrypted headers; their values are write-only.
    pub encrypted_headers: Vec<String>,
    pub secret_key_added: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_reason_code: Option<DisabledReasonCode>,
    pub level: Level,
    pub owner_id: String,
    pub origin: Origin,
    pub enable_cloud_event_delivery: bool,
    pub check_certificate_revocation: bool,
    pub created_at: String,
    pub updated_at: String,
    pub created_by_user_id: String,
    pub updated_by_user_id: String,
}

/// One page of a webhook list, with the opaque cursors of its neighbours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPage {
    pub data: Vec<Webhook>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// Everything a client may set on a webhook: a POST or PUT body, or the result of a JSON Patch.
/// `None` means "not given"; the service applies the defaults of SPEC §2.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookDraft {
    pub name: String,
    pub description: Option<String>,
    pub url: String,
    pub event_types: Vec<String>,
    pub filter: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub encrypted_headers: BTreeMap<String, String>,
    pub secret: Option<String>,
    pub enabled: Option<bool>,
    pub level: Option<Level>,
    pub owner_id: Option<String>,
    pub origin: Option<Origin>,
    pub enable_cloud_event_delivery: bool,
    pub check_certificate_revocation: bool,
}

/// The fields of [`Webhook`] a client may never write (409 when they try). `origin` may be given
/// on create only.
pub const READ_ONLY_FIELDS: [&str; 8] = [
    "id",
    "secretKeyAdded",
    "disabledReason",
    "disabledReasonCode",
    "createdAt",
    "updatedAt",
    "createdByUserId",
    "updatedByUserId",
];
