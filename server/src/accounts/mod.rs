//! Identity and access (SPEC §1, §4.3): tenants, users, sessions, API keys, one-time links.
//!
//! [`Accounts`] is the only writer of these tables. Each operation a person triggers takes the
//! request's [`Caller`](app::accounts::Caller) and confines its queries to the caller's tenant;
//! the few instance-wide lookups (sign-in by e-mail, a presented cookie, key or link) are named
//! so in the repositories.

mod api_keys;
mod bootstrap;
pub mod client_address;
mod links;
pub mod password;
pub mod secrets;
mod sessions;
pub mod throttle;
mod users;

use std::sync::Arc;

use app::{
    accounts::{Caller, Scope, UserSummary},
    error::AppError,
};
use ipnet::IpNet;
use time::Duration;

use crate::{clock::SharedClock, config::PublicUrl, db::Database, error::Result};

pub use sessions::{NewSession, SESSION_COOKIE};
use throttle::SignInThrottle;
pub use users::UserForm;

/// The settings accounts depend on.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Where people reach the console: links are built on it, cookies are `Secure` when it is
    /// https, and state-changing requests must come from it.
    pub public_url: PublicUrl,
    /// A session unused for this long ends.
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_lifetime: Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// The accounts service.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    clock: SharedClock,
    settings: AccountSettings,
    throttle: SignInThrottle,
}

impl Accounts {
    pub fn new(db: Database, clock: SharedClock, settings: AccountSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                clock,
                settings,
                throttle: SignInThrottle::default(),
            }),
        }
    }

    pub fn settings(&self) -> &AccountSettings {
        &self.inner.settings
    }

    fn db(&self) -> &Database {
        &self.inner.db
    }

    fn now(&self) -> time::OffsetDateTime {
        self.inner.clock.now()
    }

    fn now_millis(&self) -> i64 {
        crate::timestamps::to_millis(self.now())
    }
}

impl Accounts {
    /// The caller's own account.
    pub async fn whoami(&self, caller: &Caller) -> Result<UserSummary> {
        let mut conn = self.db().connection().await?;
        let user = crate::db::users::get(
            &mut conn,
            &crate::db::TenantId::of(caller),
            caller.user_id(),
        )
        .await?
        .ok_or(AppError::Unauthorized)?;
        users::summary(&user)
    }
}

/// Refuses an API key that lacks `scope` (a console session has every scope).
pub fn require_scope(caller: &Caller, scope: Scope) -> Result<()> {
    if caller.has_scope(scope) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("This API key lacks the {} scope.", scope.as_str())).into())
    }
}

/// Users and API keys are managed by TenantAdmins only.
fn require_tenant_admin(caller: &Caller) -> Result<()> {
    if caller.is_tenant_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only a TenantAdmin can manage users and API keys.".into()).into())
    }
}

/// Last-use times of sessions and API keys are written at most this often, not on every
/// request.
const TOUCH_EVERY: Duration = Duration::minutes(1);

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.whole_milliseconds()).unwrap_or(i64::MAX)
}

/// A fresh random id for a new row.
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
