//! Who may see and change which webhooks (SPEC §1). Every webhook operation asks here.
//!
//! - TenantAdmin: every webhook of the tenant, any level, any owner.
//! - Manage webhooks: every webhook of the tenant, but may not create a `tenant`-level webhook
//!   or switch one to `tenant` level.
//! - Use webhooks: only `user`-level webhooks they own; others do not exist for them (404).

use app::{
    accounts::{Caller, Role, Scope},
    error::AppError,
    event_types::Level,
};

use crate::{accounts::require_scope, error::Result};

/// Webhook operations need the `webhooks` scope (a console session has it).
pub fn require_webhooks_scope(caller: &Caller) -> Result<()> {
    require_scope(caller, Scope::Webhooks)
}

/// Whether `caller` can see a webhook of `level` owned by `owner_id` (in their tenant).
pub fn can_see(caller: &Caller, level: Level, owner_id: &str) -> bool {
    match caller.role() {
        Role::TenantAdmin | Role::ManageWebhooks => true,
        Role::UseWebhooks => level == Level::User && owner_id == caller.user_id(),
    }
}

/// The level a new webhook gets when the request names none.
pub fn default_level(caller: &Caller) -> Level {
    if caller.is_tenant_admin() {
        Level::Tenant
    } else {
        Level::User
    }
}

/// Refuses a level the caller may not give a webhook (`previous` is its level before, if any).
pub fn check_level(caller: &Caller, level: Level, previous: Option<Level>) -> Result<()> {
    let switching_to_tenant = level == Level::Tenant && previous != Some(Level::Tenant);
    match caller.role() {
        Role::TenantAdmin => Ok(()),
        Role::ManageWebhooks if switching_to_tenant => Err(AppError::Forbidden(
            "Only a TenantAdmin can make a webhook tenant-level.".into(),
        )
        .into()),
        Role::ManageWebhooks => Ok(()),
        Role::UseWebhooks if level == Level::Tenant => Err(AppError::Forbidden(
            "With the Use webhooks permission, webhooks are user-level.".into(),
        )
        .into()),
        Role::UseWebhooks => Ok(()),
    }
}

/// Refuses an owner other than the caller unless the caller manages webhooks.
pub fn check_owner(caller: &Caller, owner_id: &str) -> Result<()> {
    if caller.role() == Role::UseWebhooks && owner_id != caller.user_id() {
        return Err(AppError::Forbidden(
            "With the Use webhooks permission, you can only own webhooks yourself.".into(),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller::session("t".into(), "me".into(), role)
    }

    #[test]
    fn visibility_follows_the_role() {
        for role in [Role::TenantAdmin, Role::ManageWebhooks] {
            assert!(can_see(&caller(role), Level::Tenant, "other"));
        }
        let user = caller(Role::UseWebhooks);
        assert!(can_see(&user, Level::User, "me"));
        assert!(!can_see(&user, Level::User, "other"));
        assert!(!can_see(&user, Level::Tenant, "me"));
    }

    #[test]
    fn only_tenant_admins_make_webhooks_tenant_level() {
        assert!(check_level(&caller(Role::TenantAdmin), Level::Tenant, None).is_ok());
        let manager = caller(Role::ManageWebhooks);
        assert!(check_level(&manager, Level::Tenant, None).is_err());
        assert!(check_level(&manager, Level::Tenant, Some(Level::User)).is_err());
        assert!(check_level(&manager, Level::Tenant, Some(Level::Tenant)).is_ok());
        assert!(check_level(
            &caller(Role::UseWebhooks),
            Level::Tenant,
            Some(Level::Tenant)
        )
        .is_err());
        assert_eq!(default_level(&manager), Level::User);
        assert!(check_owner(&manager, "other").is_ok());
        assert!(check_owner(&caller(Role::UseWebhooks), "other").is_err());
    }
}
