//! Who may do what (SPEC §1): roles, API-key scopes, the caller of a request, and the account
//! records the console shows. Shared by the server, which enforces them, and the browser, which
//! only displays them.

use serde::{Deserialize, Serialize};

/// A user's permission in their tenant. Each role includes everything the ones below it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything in the tenant: users, API keys, custom event types, `tenant`-level webhooks.
    TenantAdmin,
    /// Every webhook of the tenant, except creating or switching to `tenant` level.
    ManageWebhooks,
    /// Only the webhooks the user owns, at `user` level.
    UseWebhooks,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::TenantAdmin, Role::ManageWebhooks, Role::UseWebhooks];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::TenantAdmin => "tenant-admin",
            Role::ManageWebhooks => "manage-webhooks",
            Role::UseWebhooks => "use-webhooks",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// The console's name for the role (Qlik's permission names).
    pub fn label(self) -> &'static str {
        match self {
            Role::TenantAdmin => "TenantAdmin",
            Role::ManageWebhooks => "Manage webhooks",
            Role::UseWebhooks => "Use webhooks",
        }
    }
}

/// What an API key may be used for; its owner's role still limits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// The webhooks REST API.
    #[serde(rename = "webhooks")]
    Webhooks,
    /// Publishing events to the ingestion API.
    #[serde(rename = "events:publish")]
    EventsPublish,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Webhooks, Scope::EventsPublish];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Webhooks => "webhooks",
            Scope::EventsPublish => "events:publish",
        }
    }

    pub fn parse(value: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == value)
    }
}

/// Who is making a request: found once per request (from the session cookie in the console, from
/// the API key on the REST API) and handed to every service call, which scopes each query to
/// `tenant_id` and checks the role and scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    tenant_id: String,
    user_id: String,
    role: Role,
    /// `None` for a signed-in browser session, which has all of the user's rights.
    scopes: Option<Vec<Scope>>,
}

impl Caller {
    /// A user signed in to the console.
    pub fn session(tenant_id: String, user_id: String, role: Role) -> Self {
        Self {
            tenant_id,
            user_id,
            role,
            scopes: None,
        }
    }

    /// A request authenticated with one of `user_id`'s API keys.
    pub fn api_key(tenant_id: String, user_id: String, role: Role, scopes: Vec<Scope>) -> Self {
        Self {
            tenant_id,
            user_id,
            role,
            scopes: Some(scopes),
        }
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_tenant_admin(&self) -> bool {
        self.role == Role::TenantAdmin
    }

    /// Whether the credential allows `scope` (a session allows everything its user may do).
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|scopes| scopes.contains(&scope))
    }
}

/// The signed-in user, as the page frame shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// Whether a user can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserStatus {
    /// Invited; becomes active when the invite link is used.
    Invited,
    Active,
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
        }
    }

    pub fn parse(value: &str) -> Option<UserStatus> {
        [
            UserStatus::Invited,
            UserStatus::Active,
            UserStatus::Deactivated,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Invited => "Invited",
            UserStatus::Active => "Active",
            UserStatus::Deactivated => "Deactivated",
        }
    }
}

/// One user of the tenant, as the Users page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// A user as the webhooks screen names them: owners in the table, choices for the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub display_name: String,
    pub email: String,
    /// Only active users may own a new webhook or be chosen as its owner.
    pub active: bool,
}

/// One API key as listed after creation: the key itself is never shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: String,
    pub name: String,
    /// The public part of the key, enough to recognise it.
    pub prefix: String,
    pub owner_id: String,
    pub owner_email: String,
    pub scopes: Vec<Scope>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A key just created: the only time `key` exists outside the caller's hands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub summary: ApiKeySummary,
    pub key: String,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkPurpose {
    /// Creates the first TenantAdmin of a tenant.
    Setup,
    /// Lets an invited user choose a password.
    Invite,
    /// Lets a user choose a new password.
    PasswordReset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Setup => "setup",
            LinkPurpose::Invite => "invite",
            LinkPurpose::PasswordReset => "password-reset",
        }
    }

    pub fn parse(value: &str) -> Option<LinkPurpose> {
        [
            LinkPurpose::Setup,
            LinkPurpose::Invite,
            LinkPurpose::PasswordReset,
        ]
        .into_iter()
        .find(|purpose| purpose.as_str() == value)
    }

    /// The console page that takes this kind of link.
    pub fn page(self) -> &'static str {
        match self {
            LinkPurpose::Setup => "/setup",
            LinkPurpose::Invite => "/invite",
            LinkPurpose::PasswordReset => "/reset-password",
        }
    }
}

/// A one-time link just issued, to hand to its user by any channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeLink {
    pub url: String,
    pub expires_at: String,
}

/// What a link page needs to know before the form is filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDetails {
    pub purpose: LinkPurpose,
    /// The account the link is for (invite and reset links).
    pub email: Option<String>,
    pub display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_round_trip_through_their_stored_form() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(Scope::parse("events"), None);
    }

    #[test]
    fn a_session_has_every_scope_and_a_key_only_its_own() {
        let session = Caller::session("t".into(), "u".into(), Role::UseWebhooks);
        assert!(session.has_scope(Scope::Webhooks));
        assert!(session.has_scope(Scope::EventsPublish));

        let key = Caller::api_key(
            "t".into(),
            "u".into(),
            Role::TenantAdmin,
            vec![Scope::EventsPublish],
        );
        assert!(!key.has_scope(Scope::Webhooks));
        assert!(key.has_scope(Scope::EventsPublish));
        assert!(key.is_tenant_admin());
    }
}
