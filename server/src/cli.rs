//! The operator commands: `herald admin create`, `herald tenant create`, `herald api-key create`.
//! They print results for a person; the one-time links and the API key are the only secrets
//! Herald ever prints, once, to the operator who asked for them.

use std::{
    io::{BufRead, IsTerminal},
    sync::Arc,
};

use app::validation::accounts as rules;

use crate::{
    accounts::Accounts,
    clock::SystemClock,
    config::{AdminCommand, AdminCreate, ApiKeyCommand, Command, Settings, TenantCommand},
    db::Database,
};

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Database(#[from] crate::db::OpenError),
    #[error("{0}")]
    Refused(String),
}

impl From<crate::error::Error> for CommandError {
    fn from(error: crate::error::Error) -> Self {
        CommandError::Refused(error.into_app_error().to_string())
    }
}

/// The environment variable `herald admin create` reads the password from.
pub const ADMIN_PASSWORD_VARIABLE: &str = "HERALD_ADMIN_PASSWORD";

/// Runs one operator command to completion.
pub async fn run(settings: &Settings, command: &Command) -> Result<(), CommandError> {
    let db = Database::open_for_command(&settings.database_url()).await?;
    let accounts = Accounts::new(
        db.clone(),
        Arc::new(SystemClock),
        settings.account_settings(),
    );
    let outcome = match command {
        Command::Admin(AdminCommand::Create(create)) => admin_create(&accounts, create).await,
        Command::Tenant(TenantCommand::Create { name }) => {
            let (tenant, link) = accounts.create_tenant(name).await?;
            println!("Created tenant {tenant}.");
            println!(
                "Open this link before {} to create its first TenantAdmin:\n{}",
                link.expires_at, link.url
            );
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Create {
            email,
            name,
            scopes,
        }) => {
            let scopes = rules::scopes_text("/scopes", scopes)
                .map_err(|error| CommandError::Refused(format!("--scopes: {error}")))?;
            let created = accounts
                .create_api_key_for_email(email, name, &scopes)
                .await?;
            println!(
                "Created API key \"{}\" ({}) for {}. It is shown only this once:",
                created.summary.name, created.summary.prefix, created.summary.owner_email
            );
            println!("{}", created.key);
            Ok(())
        }
    };
    db.close().await;
    outcome
}

async fn admin_create(accounts: &Accounts, create: &AdminCreate) -> Result<(), CommandError> {
    let password = admin_password(create.password_stdin)?;
    let tenant = accounts.operator_tenant(create.tenant.as_deref()).await?;
    let admin = accounts
        .create_admin(&tenant, &create.email, &create.name, &password)
        .await?;
    println!(
        "Created TenantAdmin {} in tenant {tenant}. Sign in at the console with this e-mail address.",
        admin.email
    );
    Ok(())
}

/// The new admin's password: from standard input, the environment, or a terminal prompt.
fn admin_password(from_stdin: bool) -> Result<String, CommandError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| CommandError::Refused(format!("cannot read the password: {error}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if let Ok(password) = std::env::var(ADMIN_PASSWORD_VARIABLE) {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::Refused(format!(
            "no password given: set {ADMIN_PASSWORD_VARIABLE}, pass --password-stdin, or run in a terminal"
        )));
    }
    let prompt_error =
        |error: std::io::Error| CommandError::Refused(format!("cannot read the password: {error}"));
    let password =
        rpassword::prompt_password("Password (at least 12 characters): ").map_err(prompt_error)?;
    let again = rpassword::prompt_password("Password again: ").map_err(prompt_error)?;
    if password != again {
        return Err(CommandError::Refused("the passwords do not match".into()));
    }
    Ok(password)
}
