//! The tenant a query is confined to.
//!
//! Every repository function that touches tenant data takes a [`TenantId`], and a `TenantId` is
//! obtained from the request's [`Caller`] (or from a row that already belongs to that tenant),
//! never from request input: a query cannot be written without the caller's tenant.

use app::accounts::Caller;

/// A tenant's id, as taken from a trusted source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    /// The tenant of the request's caller.
    pub fn of(caller: &Caller) -> Self {
        Self(caller.tenant_id().to_owned())
    }

    /// A tenant id read from the database (a tenant row, or a row of that tenant).
    pub(crate) fn from_stored(id: String) -> Self {
        Self(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
