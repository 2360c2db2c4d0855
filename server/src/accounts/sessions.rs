//! Browser sessions: sign-in, the session behind a cookie, sign-out (SPEC §4.3).

use std::net::IpAddr;

use app::{
    accounts::{Caller, Role, SignedInUser, UserStatus},
    error::AppError,
    validation,
};
use cookie::{Cookie, SameSite};
use time::Duration;

use super::{
    millis, password,
    secrets::{digest, new_token},
    throttle::ThrottleKey,
    Accounts, TOUCH_EVERY,
};
use crate::{
    db::{sessions, users, TenantId},
    error::Result,
};

/// The cookie that carries a session token.
pub const SESSION_COOKIE: &str = "herald_session";
const WRONG_CREDENTIALS: &str = "The e-mail address or password is not correct.";

/// A session just started: its token goes into the cookie and nowhere else.
pub struct NewSession {
    pub token: String,
}

impl Accounts {
    /// Signs a person in by e-mail and password. Failures are throttled per account and per
    /// client address; a throttled attempt is refused before the password is checked. An
    /// error anywhere before the password matched counts as a failure.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
        previous_token: Option<&str>,
    ) -> Result<NewSession> {
        let email = validation::accounts::email("/email", email)?;
        let now = self.now();
        let mut keys = vec![ThrottleKey::Account(email.clone())];
        keys.extend(client.map(ThrottleKey::Address));
        let throttle = &self.inner.throttle;
        if let Err(wait) = throttle.admit(&keys, now) {
            tracing::warn!(client = ?client, "sign-in throttled");
            let minutes = wait.whole_minutes() + 1;
            return Err(AppError::TooManyRequests {
                message: format!(
                    "Too many failed sign-ins. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
                retry_after_secs: u64::try_from(wait.whole_seconds()).unwrap_or(0).max(1),
            }
            .into());
        }

        let mut conn = self.db().connection().await?;
        let user = users::find_by_email_instance_wide(&mut conn, &email).await?;
        let can_sign_in = match &user {
            Some(user) => user.status()? == UserStatus::Active,
            None => false,
        };
        let stored_hash = user
            .as_ref()
            .filter(|_| can_sign_in)
            .and_then(|user| user.password_hash.clone());
        let verified = password::verify(password.to_owned(), stored_hash).await?;
        let user = match user {
            Some(user) if verified => user,
            _ => {
                tracing::info!("sign-in refused");
                return Err(AppError::invalid("/password", WRONG_CREDENTIALS).into());
            }
        };
        throttle.succeeded(&keys);
        if let Some(previous) = previous_token {
            sessions::delete_instance_wide(&mut conn, &digest(previous)).await?;
        }
        let session = self
            .start_session(&mut conn, &user.tenant(), &user.id)
            .await?;
        tracing::info!(user_id = %user.id, tenant_id = %user.tenant_id, "signed in");
        Ok(session)
    }

    /// Starts a session for a user whose identity was just proven.
    pub(super) async fn start_session(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant: &TenantId,
        user_id: &str,
    ) -> Result<NewSession> {
        let token = new_token()?;
        sessions::insert(conn, tenant, &digest(&token), user_id, self.now_millis()).await?;
        Ok(NewSession { token })
    }

    /// The caller behind a session token, when the session is still valid. Expired sessions
    /// are deleted as they are found.
    pub async fn resolve_session(&self, token: &str) -> Result<Option<(Caller, SignedInUser)>> {
        let id = digest(token);
        let mut conn = self.db().connection().await?;
        let Some(session) = sessions::find_with_user_instance_wide(&mut conn, &id).await? else {
            return Ok(None);
        };
        let now = self.now_millis();
        let settings = self.settings();
        let idle_until = session.last_seen_at + millis(settings.session_idle_timeout);
        let absolute_until = session.created_at + millis(settings.session_lifetime);
        let role = Role::parse(&session.role);
        let active = UserStatus::parse(&session.status) == Some(UserStatus::Active);
        let (Some(role), true, true, true) = (role, active, now < idle_until, now < absolute_until)
        else {
            sessions::delete_instance_wide(&mut conn, &id).await?;
            return Ok(None);
        };
        if now - session.last_seen_at >= millis(TOUCH_EVERY) {
            sessions::touch_instance_wide(&mut conn, &id, now).await?;
        }
        let caller = Caller::session(session.tenant_id, session.user_id.clone(), role);
        let user = SignedInUser {
            id: session.user_id,
            email: session.email,
            display_name: session.display_name,
            role,
        };
        Ok(Some((caller, user)))
    }

    /// Ends the session behind `token`.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        let mut conn = self.db().connection().await?;
        sessions::delete_instance_wide(&mut conn, &digest(token)).await
    }

    /// The `Set-Cookie` value that stores a new session in the browser.
    pub fn session_cookie(&self, session: &NewSession) -> String {
        let settings = self.settings();
        Cookie::build((SESSION_COOKIE, session.token.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(settings.public_url.is_https())
            .max_age(cookie_duration(settings.session_lifetime))
            .build()
            .to_string()
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn cleared_session_cookie(&self) -> String {
        Cookie::build((SESSION_COOKIE, ""))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.settings().public_url.is_https())
            .max_age(cookie::time::Duration::ZERO)
            .build()
            .to_string()
    }
}

fn cookie_duration(duration: Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(duration.whole_seconds())
}
