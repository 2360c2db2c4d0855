//! Settings: command-line flags, each with a `HERALD_*` environment variable and a default.
//!
//! A flag wins over its variable, which wins over the default. `herald --help` lists them all.
//! New settings are added here, in the same pattern, by the feature that uses them.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, ValueEnum};

use crate::db::{DatabaseUrl, DatabaseUrlError};

/// Herald: a self-hosted webhooks console and signed delivery engine.
#[derive(Debug, Clone, Parser)]
#[command(name = "herald", version, about, long_about = None)]
pub struct Settings {
    /// Address and port the HTTP server listens on.
    #[arg(
        long,
        env = "HERALD_LISTEN",
        default_value = "127.0.0.1:3000",
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,

    /// Database: `sqlite://PATH` (the file is created if missing) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`. `DATABASE_URL` is accepted as an alias.
    /// [default: sqlite://herald.db]
    #[arg(long, env = "HERALD_DATABASE_URL", value_name = "URL")]
    database_url: Option<DatabaseUrl>,

    /// Folder holding the compiled console (WASM, JS, CSS, public files).
    #[arg(
        long,
        env = "HERALD_SITE_ROOT",
        default_value = "target/site",
        value_name = "DIR"
    )]
    pub site_root: PathBuf,

    /// Log output: `human` (readable lines) or `json` (one object per line).
    #[arg(long, env = "HERALD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// A setting that cannot be used as given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{setting}: {reason}")]
pub struct SettingError {
    setting: &'static str,
    reason: String,
}

impl Settings {
    /// Reads flags and environment variables, then resolves the `DATABASE_URL` alias.
    /// Prints usage and exits on a malformed flag, as command-line tools do.
    pub fn load() -> Result<Self, SettingError> {
        Self::parse().with_database_url_alias(std::env::var("DATABASE_URL").ok())
    }

    /// Uses `alias` (the value of `DATABASE_URL`) when neither `--database-url` nor
    /// `HERALD_DATABASE_URL` was given.
    pub fn with_database_url_alias(mut self, alias: Option<String>) -> Result<Self, SettingError> {
        if self.database_url.is_none() {
            if let Some(alias) = alias {
                let url = alias
                    .parse()
                    .map_err(|error: DatabaseUrlError| SettingError {
                        setting: "DATABASE_URL",
                        reason: error.to_string(),
                    })?;
                self.database_url = Some(url);
            }
        }
        Ok(self)
    }

    /// The database to open.
    pub fn database_url(&self) -> DatabaseUrl {
        self.database_url.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(std::iter::once("herald").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_listen_on_loopback_port_3000_with_a_local_sqlite_file() {
        let settings = parse(&[])
            .expect("no flags is valid")
            .with_database_url_alias(None)
            .expect("no alias is valid");
        assert_eq!(settings.listen, "127.0.0.1:3000".parse().expect("address"));
        assert_eq!(settings.database_url(), DatabaseUrl::default());
        assert_eq!(settings.site_root, PathBuf::from("target/site"));
        assert_eq!(settings.log_format, LogFormat::Human);
    }

    #[test]
    fn flags_override_defaults() {
        let settings = parse(&[
            "--listen",
            "0.0.0.0:8080",
            "--database-url",
            "postgres://h@db/h",
            "--log-format",
            "json",
        ])
        .expect("valid flags");
        assert_eq!(settings.listen, "0.0.0.0:8080".parse().expect("address"));
        assert_eq!(
            settings.database_url(),
            DatabaseUrl::Postgres {
                url: "postgres://h@db/h".into()
            }
        );
        assert_eq!(settings.log_format, LogFormat::Json);
    }

    #[test]
    fn database_url_alias_applies_only_when_the_setting_is_absent() {
        let from_alias = parse(&[])
            .expect("valid")
            .with_database_url_alias(Some("sqlite://alias.db".into()))
            .expect("valid alias");
        assert_eq!(
            from_alias.database_url(),
            "sqlite://alias.db".parse().expect("url")
        );

        let explicit = parse(&["--database-url", "sqlite://explicit.db"])
            .expect("valid")
            .with_database_url_alias(Some("sqlite://alias.db".into()))
            .expect("alias ignored");
        assert_eq!(
            explicit.database_url(),
            "sqlite://explicit.db".parse().expect("url")
        );
    }

    #[test]
    fn invalid_values_name_the_setting() {
        let error = parse(&["--listen", "not-an-address"]).expect_err("bad address");
        assert!(error.to_string().contains("--listen"), "{error}");

        let error = parse(&["--database-url", "mysql://x/y"]).expect_err("bad scheme");
        assert!(error.to_string().contains("--database-url"), "{error}");

        let error = parse(&[])
            .expect("valid")
            .with_database_url_alias(Some("herald.db".into()))
            .expect_err("bad alias");
        assert!(
            error
                .to_string()
                .starts_with("DATABASE_URL: unsupported database URL"),
            "{error}"
        );
    }
}
