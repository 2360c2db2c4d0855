//! The event-type catalogue (SPEC §3): the built-in types every tenant starts with.

use serde::{Deserialize, Serialize};

/// Who a webhook delivers for: the whole tenant, or one user's own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Tenant,
    User,
}

/// One type of event a webhook can subscribe to (the wire shape of
/// `GET /api/v1/webhooks/event-types`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventType {
    /// Reverse-DNS name, e.g. `com.qlik.v1.app.created`.
    pub name: String,
    /// The console's label, shown under its category.
    pub title: String,
    pub description: String,
    pub levels: Vec<Level>,
    /// The console groups types by this.
    pub category: String,
}

impl EventType {
    /// "Apps: Created": how the console names a type outside its category's group.
    pub fn label(&self) -> String {
        format!("{}: {}", self.category, self.title)
    }
}

/// A type a TenantAdmin added to the tenant's catalogue, with the example event `data` that
/// test deliveries send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomEventType {
    #[serde(flatten)]
    pub event_type: EventType,
    /// JSON text.
    pub example_data: String,
}

/// `(category, title, name, user level allowed, description)` of each built-in type.
const BUILT_IN: [(&str, &str, &str, bool, &str); 9] = [
    (
        "Apps",
        "Created",
        "com.qlik.v1.app.created",
        true,
        "An app was created.",
    ),
    (
        "Apps",
        "Deleted",
        "com.qlik.v1.app.deleted",
        false,
        "An app was deleted.",
    ),
    (
        "Apps",
        "Data updated",
        "com.qlik.v1.app.data.updated",
        true,
        "The app's data was refreshed and saved.",
    ),
    (
        "Apps",
        "Reloaded",
        "com.qlik.v1.app.reload.finished",
        true,
        "The app's tables and linked data tables were loaded.",
    ),
    (
        "Apps",
        "Published",
        "com.qlik.v1.app.published",
        true,
        "An app was published.",
    ),
    (
        "Apps",
        "Exported",
        "com.qlik.v1.app.exported",
        true,
        "An app was exported.",
    ),
    (
        "Reloads",
        "Reload finished",
        "com.qlik.v1.reload.finished",
        true,
        "A reload ended and was saved (the event Qlik recommends for reloads).",
    ),
    (
        "Users",
        "Created",
        "com.qlik.v1.user.created",
        false,
        "A user was created.",
    ),
    (
        "Users",
        "Deleted",
        "com.qlik.v1.user.deleted",
        false,
        "A user was deleted.",
    ),
];

/// The types every tenant's catalogue starts with, in the console's order.
pub fn built_in() -> Vec<EventType> {
    BUILT_IN
        .iter()
        .map(
            |&(category, title, name, user_level, description)| EventType {
                name: name.to_owned(),
                title: title.to_owned(),
                description: description.to_owned(),
                levels: if user_level {
                    vec![Level::Tenant, Level::User]
                } else {
                    vec![Level::Tenant]
                },
                category: category.to_owned(),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_matches_the_spec() {
        let types = built_in();
        assert_eq!(types.len(), 9);
        let tenant_only: Vec<&str> = types
            .iter()
            .filter(|t| t.levels == [Level::Tenant])
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            tenant_only,
            [
                "com.qlik.v1.app.deleted",
                "com.qlik.v1.user.created",
                "com.qlik.v1.user.deleted"
            ]
        );
        let json = serde_json::to_value(&types[0]).expect("serialises");
        assert_eq!(json["levels"], serde_json::json!(["tenant", "user"]));
    }
}
