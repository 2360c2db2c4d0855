//! One-time links: first-admin setup, invitations and password resets (SPEC §4.3).
//!
//! A link carries a random token; only its digest is stored. Using a link marks it used in the
//! same transaction as its effect, so it works once even when two requests race.

use app::{
    accounts::{LinkDetails, LinkPurpose, OneTimeLink, UserStatus},
    error::AppError,
    validation::accounts as rules,
};
use time::Duration;

use super::{
    new_id, password,
    secrets::{digest, new_token},
    Accounts, NewSession,
};
use crate::{
    db::{links, sessions, users, TenantId},
    error::Result,
    timestamps::{rfc3339, to_millis},
};

/// How long each kind of link stays usable.
pub fn lifetime(purpose: LinkPurpose) -> Duration {
    match purpose {
        LinkPurpose::Setup | LinkPurpose::PasswordReset => Duration::hours(1),
        LinkPurpose::Invite => Duration::days(7),
    }
}

const LINK_UNUSABLE: &str =
    "This link has expired or has already been used. Ask an administrator for a new one.";

impl Accounts {
    /// Issues a link, withdrawing the unused ones it replaces.
    pub(super) async fn issue_link(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant: &TenantId,
        purpose: LinkPurpose,
        user_id: Option<&str>,
    ) -> Result<OneTimeLink> {
        match user_id {
            Some(user_id) => links::withdraw_for_user(conn, tenant, user_id, purpose).await?,
            None => links::withdraw_setup_links(conn, tenant).await?,
        }
        let token = new_token()?;
        let now = self.now();
        let expires_at = to_millis(now + lifetime(purpose));
        links::insert(
            conn,
            tenant,
            &links::NewLink {
                id: &new_id(),
                token_hash: &digest(&token),
                purpose,
                user_id,
                now: to_millis(now),
                expires_at,
            },
        )
        .await?;
        Ok(OneTimeLink {
            url: self
                .settings()
                .public_url
                .join(&format!("{}?token={token}", purpose.page())),
            expires_at: rfc3339(expires_at),
        })
    }

    /// Finds a usable link of `purpose`; every other case is the same refusal.
    async fn usable_link(
        &self,
        conn: &mut sqlx::AnyConnection,
        purpose: LinkPurpose,
        token: &str,
    ) -> Result<links::LinkRow> {
        let link = links::find_by_token_instance_wide(conn, &digest(token)).await?;
        match link {
            Some(link)
                if link.purpose()? == purpose
                    && link.used_at.is_none()
                    && link.expires_at > self.now_millis() =>
            {
                Ok(link)
            }
            _ => Err(AppError::invalid("/token", LINK_UNUSABLE).into()),
        }
    }

    /// Refuses an unusable link before the caller spends an Argon2 hash on it: guessing tokens
    /// must cost the guesser, not the server. The transaction that uses the link checks again.
    async fn precheck_link(&self, purpose: LinkPurpose, token: &str) -> Result<()> {
        let mut conn = self.db().connection().await?;
        self.usable_link(&mut conn, purpose, token).await.map(drop)
    }

    /// What a link page shows before its form is filled in.
    pub async fn link_details(&self, purpose: LinkPurpose, token: &str) -> Result<LinkDetails> {
        let mut conn = self.db().connection().await?;
        let link = self.usable_link(&mut conn, purpose, token).await?;
        let user = match &link.user_id {
            Some(user_id) => users::get(&mut conn, &link.tenant(), user_id).await?,
            None => None,
        };
        Ok(LinkDetails {
            purpose,
            email: user.as_ref().map(|user| user.email.clone()),
            display_name: user.map(|user| user.display_name),
        })
    }

    /// Uses a setup link: creates the tenant's first TenantAdmin and signs them in.
    pub async fn complete_setup(
        &self,
        token: &str,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> Result<NewSession> {
        let email = rules::email("/email", email)?;
        let display_name = rules::display_name("/displayName", display_name)?;
        let password = rules::new_password("/password", password)?;
        self.precheck_link(LinkPurpose::Setup, token).await?;
        let password_hash = password::hash(password).await?;

        let mut tx = self.db().begin().await?;
        let link = self.usable_link(&mut tx, LinkPurpose::Setup, token).await?;
        let tenant = link.tenant();
        // A setup link is for a tenant nobody has claimed yet (an operator may have created an
        // admin with `herald admin create` since the link was printed).
        if users::any_in_tenant(&mut tx, &tenant).await?
            || !links::mark_used(&mut tx, &tenant, &link.id, self.now_millis()).await?
        {
            return Err(AppError::invalid("/token", LINK_UNUSABLE).into());
        }
        let user_id = self
            .insert_tenant_admin(&mut tx, &tenant, &email, &display_name, &password_hash)
            .await?;
        let session = self.start_session(&mut tx, &tenant, &user_id).await?;
        tx.commit().await?;
        tracing::info!(%user_id, tenant_id = %tenant, "first TenantAdmin created with the setup link");
        Ok(session)
    }

    /// Uses an invite link: the invited user chooses a name and password and is signed in.
    pub async fn accept_invite(
        &self,
        token: &str,
        display_name: &str,
        password: &str,
    ) -> Result<NewSession> {
        let display_name = rules::display_name("/displayName", display_name)?;
        self.set_password_with_link(LinkPurpose::Invite, token, password, Some(&display_name))
            .await
    }

    /// Uses a password-reset link: sets the new password, ends every other session of the
    /// user, and signs them in.
    pub async fn reset_password(&self, token: &str, password: &str) -> Result<NewSession> {
        self.set_password_with_link(LinkPurpose::PasswordReset, token, password, None)
            .await
    }

    async fn set_password_with_link(
        &self,
        purpose: LinkPurpose,
        token: &str,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<NewSession> {
        let password = rules::new_password("/password", password)?;
        self.precheck_link(purpose, token).await?;
        let password_hash = password::hash(password).await?;

        let mut tx = self.db().begin().await?;
        let link = self.usable_link(&mut tx, purpose, token).await?;
        let tenant = link.tenant();
        let user = match &link.user_id {
            Some(user_id) => users::get(&mut tx, &tenant, user_id).await?,
            None => None,
        };
        // A deactivated account keeps its links from working.
        let Some(user) = user.filter(|user| user.status().ok() != Some(UserStatus::Deactivated))
        else {
            return Err(AppError::invalid("/token", LINK_UNUSABLE).into());
        };
        let now = self.now_millis();
        if !links::mark_used(&mut tx, &tenant, &link.id, now).await? {
            return Err(AppError::invalid("/token", LINK_UNUSABLE).into());
        }
        if let Some(display_name) = display_name {
            users::update_profile(
                &mut tx,
                &tenant,
                &user.id,
                &users::Profile {
                    display_name,
                    role: user.role()?,
                    external_id: user.external_id.as_deref(),
                },
                now,
            )
            .await?;
        }
        users::set_password(
            &mut tx,
            &tenant,
            &user.id,
            &password_hash,
            UserStatus::Active,
            now,
        )
        .await?;
        sessions::delete_for_user(&mut tx, &tenant, &user.id).await?;
        let session = self.start_session(&mut tx, &tenant, &user.id).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, tenant_id = %tenant, link = purpose.as_str(), "password set with a one-time link");
        Ok(session)
    }
}
