//! Settings: command-line flags, each with a `HERALD_*` environment variable and a default.
//!
//! A flag wins over its variable, which wins over the default. `herald --help` lists them all.
//! New settings are added here, in the same pattern, by the feature that uses them.

mod public_url;

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use ipnet::IpNet;

use crate::{
    accounts::AccountSettings,
    db::{DatabaseUrl, DatabaseUrlError},
};

pub use public_url::PublicUrl;

/// Herald: a self-hosted webhooks console and signed delivery engine.
#[derive(Debug, Clone, Parser)]
#[command(name = "herald", version, about, long_about = None)]
pub struct Settings {
    /// Address and port the HTTP server listens on. Listening on all interfaces (`0.0.0.0` or
    /// `[::]`) needs `--public-url`, since that is not an address a browser can use.
    #[arg(
        long,
        env = "HERALD_LISTEN",
        default_value = "127.0.0.1:3000",
        value_name = "ADDR",
        global = true
    )]
    pub listen: SocketAddr,

    /// Database: `sqlite://PATH` (the file is created if missing) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`. `DATABASE_URL` is accepted as an alias.
    /// [default: sqlite://herald.db]
    #[arg(
        long,
        env = "HERALD_DATABASE_URL",
        value_name = "URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<DatabaseUrl>,

    /// Folder of the default SQLite database (`herald.db`) and its key file (`herald.db.key`),
    /// created if missing. Unused when `--database-url` is given. [default: the working
    /// directory]
    #[arg(long, env = "HERALD_DATA_DIR", value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,

    /// The address people use to reach Herald, e.g. `https://herald.example.com` behind a TLS
    /// proxy. Links are built on it, the session cookie is `Secure` when it is https, and
    /// console actions are accepted only from this origin. [default: http://LISTEN]
    #[arg(long, env = "HERALD_PUBLIC_URL", value_name = "URL", global = true)]
    public_url: Option<PublicUrl>,

    /// Reverse proxies whose `X-Forwarded-For` header is believed, as comma-separated
    /// addresses or CIDR ranges. [default: none]
    #[arg(
        long,
        env = "HERALD_TRUSTED_PROXIES",
        value_name = "CIDR,...",
        value_delimiter = ',',
        value_parser = parse_network
    )]
    pub trusted_proxies: Vec<IpNet>,

    /// A console session unused for this long ends (e.g. `30min`, `12h`).
    #[arg(
        long,
        env = "HERALD_SESSION_IDLE_TIMEOUT",
        value_name = "DURATION",
        default_value = "12h",
        value_parser = parse_duration
    )]
    pub session_idle_timeout: time::Duration,

    /// A console session ends this long after sign-in, however active (e.g. `7days`).
    #[arg(
        long,
        env = "HERALD_SESSION_LIFETIME",
        value_name = "DURATION",
        default_value = "7days",
        value_parser = parse_duration
    )]
    pub session_lifetime: time::Duration,

    /// Master key(s) sealing webhook secrets and encrypted headers at rest: base64 of 32 random
    /// bytes (`openssl rand -base64 32`); to rotate, list the new key first, then the old ones,
    /// comma-separated. [default: the key file]
    #[arg(
        long,
        env = "HERALD_MASTER_KEY",
        value_name = "BASE64",
        hide_env_values = true
    )]
    master_key: Option<String>,

    /// File holding the master key(s), as `--master-key` takes them. On SQLite it defaults to
    /// the database file's name plus `.key`, created (mode 0600) on first start. PostgreSQL
    /// needs the key given, the same on every node.
    #[arg(
        long,
        env = "HERALD_MASTER_KEY_FILE",
        value_name = "PATH",
        global = true
    )]
    master_key_file: Option<PathBuf>,

    /// Most webhooks one tenant may have.
    #[arg(long, env = "HERALD_WEBHOOKS_PER_TENANT", default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub webhooks_per_tenant: i64,

    /// Most webhooks one user may own.
    #[arg(long, env = "HERALD_WEBHOOKS_PER_OWNER", default_value_t = 150, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub webhooks_per_owner: i64,

    /// REST API reads (GET) each tenant may make per minute; more answer 429.
    #[arg(long, env = "HERALD_API_READS_PER_MINUTE", default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub api_reads_per_minute: u32,

    /// REST API writes (POST, PUT, PATCH, DELETE) each tenant may make per minute.
    #[arg(long, env = "HERALD_API_WRITES_PER_MINUTE", default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub api_writes_per_minute: u32,

    /// Longest wait for a delivery's connection (TCP and TLS).
    #[arg(long, env = "HERALD_CONNECT_TIMEOUT", default_value = "5s", value_name = "DURATION", value_parser = parse_std_duration)]
    pub connect_timeout: std::time::Duration,

    /// Longest a delivery attempt may take in all, reading the response included.
    #[arg(long, env = "HERALD_REQUEST_TIMEOUT", default_value = "10s", value_name = "DURATION", value_parser = parse_std_duration)]
    pub request_timeout: std::time::Duration,

    /// The waits between a delivery's attempts, comma-separated; one attempt more than waits
    /// is made (±20 % jitter on each wait).
    #[arg(long, env = "HERALD_RETRY_SCHEDULE", default_value = crate::delivery::DEFAULT_RETRY_SCHEDULE, value_name = "DURATION,...", value_delimiter = ',', value_parser = parse_std_duration)]
    pub retry_schedule: Vec<std::time::Duration>,

    /// How long deliveries and events are kept before they are purged.
    #[arg(long, env = "HERALD_RETENTION", default_value = "7days", value_name = "DURATION", value_parser = parse_std_duration)]
    pub retention: std::time::Duration,

    /// Deliveries ended `fail` in a row that disable a webhook.
    #[arg(long, env = "HERALD_FAILURE_THRESHOLD", default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub failure_threshold: u32,

    /// How long every attempt to a webhook may fail before it is disabled.
    #[arg(long, env = "HERALD_FAILING_PERIOD", default_value = "5days", value_name = "DURATION", value_parser = parse_std_duration)]
    pub failing_period: std::time::Duration,

    /// Delivery attempts in flight at once in this process.
    #[arg(long, env = "HERALD_DELIVERY_WORKERS", default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub delivery_workers: u16,

    /// The most delivery attempts in flight at once to one webhook in this process: each
    /// webhook starts at 2, gains one per quick success while it uses all it has, and halves on
    /// a timeout, 429, 5xx or slow answer.
    #[arg(long, env = "HERALD_PER_WEBHOOK_IN_FLIGHT", default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub per_webhook_in_flight: u16,

    /// The most deliveries this process holds in memory (queued for a worker slot, in flight
    /// or being recorded); the others wait in the database.
    #[arg(long, env = "HERALD_DELIVERY_QUEUE", default_value_t = 4096, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub delivery_queue: u32,

    /// The `User-Agent` header of every delivery.
    #[arg(
        long,
        env = "HERALD_USER_AGENT",
        default_value = "Qlik Webhook",
        value_name = "TEXT",
        value_parser = parse_user_agent
    )]
    pub user_agent: String,

    /// Where deliveries may go although it is not a public address: CIDR ranges, addresses and
    /// host names, comma-separated. [default: none]
    #[arg(long, env = "HERALD_DELIVERY_ALLOW", value_name = "CIDR|HOST,...", value_delimiter = ',', value_parser = parse_allowed)]
    pub delivery_allow: Vec<Allowed>,

    /// Host names resolved without DNS, as `name=address` pairs, comma-separated (a name may be
    /// given several times). The addresses are still checked against the allow-list.
    /// [default: none]
    #[arg(long, env = "HERALD_DELIVERY_HOSTS", value_name = "NAME=ADDR,...", value_delimiter = ',', value_parser = parse_host_entry)]
    pub delivery_hosts: Vec<(String, std::net::IpAddr)>,

    /// PEM files of CA certificates that delivery TLS trusts besides the system's,
    /// comma-separated. [default: none]
    #[arg(
        long,
        env = "HERALD_EXTRA_CA_CERTIFICATES",
        value_name = "PATH,...",
        value_delimiter = ','
    )]
    pub extra_ca_certificates: Vec<PathBuf>,

    /// Largest event ingestion request body, in bytes.
    #[arg(long, env = "HERALD_EVENTS_BODY_LIMIT", default_value_t = 1024 * 1024, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1024..))]
    pub events_body_limit: u32,

    /// How long a stop (SIGTERM, Ctrl-C) waits for delivery attempts and requests in flight
    /// before it gives back the leases of the unfinished ones and exits.
    #[arg(long, env = "HERALD_SHUTDOWN_GRACE", default_value = "20s", value_name = "DURATION", value_parser = parse_std_duration)]
    pub shutdown_grace: std::time::Duration,

    /// Folder holding the compiled console (WASM, JS, CSS, public files) of a debug build; the
    /// release binary carries its own.
    #[arg(
        long,
        env = "HERALD_SITE_ROOT",
        default_value = "target/site",
        value_name = "DIR"
    )]
    pub site_root: PathBuf,

    /// Log output: `human` (readable lines) or `json` (one object per line).
    #[arg(long, env = "HERALD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,

    /// An operator task to run instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Operator tasks. Each opens the database, does its work and exits; they may run while Herald
/// serves.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// TenantAdmin accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Creates a TenantAdmin who can sign in at once. The password is read from
    /// `HERALD_ADMIN_PASSWORD`, from standard input with `--password-stdin`, or from a prompt.
    Create(AdminCreate),
}

#[derive(Debug, Clone, Args)]
pub struct AdminCreate {
    /// The admin's e-mail address (used to sign in).
    #[arg(long)]
    pub email: String,
    /// The admin's name as the console shows it.
    #[arg(long)]
    pub name: String,
    /// The tenant's id; may be left out while there is only one tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant and prints the one-time setup link for its first TenantAdmin.
    Create {
        /// The tenant's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ApiKeyCommand {
    /// Creates an API key for a user and prints it (once: it cannot be shown again).
    Create {
        /// The e-mail address of the user the key acts for.
        #[arg(long)]
        email: String,
        /// What the key is for, e.g. "CI publisher".
        #[arg(long)]
        name: String,
        /// `webhooks` and/or `events:publish`, comma-separated.
        #[arg(long, default_value = "webhooks")]
        scopes: String,
    },
}

fn parse_duration(text: &str) -> Result<time::Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|error| format!("{error}; write e.g. 90s, 30min, 12h or 7days"))?;
    if duration.is_zero() {
        return Err("must be longer than zero".into());
    }
    time::Duration::try_from(duration).map_err(|error| error.to_string())
}

fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text} is neither an IP address nor a CIDR range"))
}

fn parse_std_duration(text: &str) -> Result<std::time::Duration, String> {
    parse_duration(text.trim())
        .and_then(|duration| std::time::Duration::try_from(duration).map_err(|e| e.to_string()))
}

fn parse_user_agent(text: &str) -> Result<String, String> {
    http::HeaderValue::from_str(text)
        .map(|_| text.to_owned())
        .map_err(|_| "must be printable text on one line".to_owned())
}

/// An entry of the delivery allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    Network(IpNet),
    Host(String),
}

fn parse_allowed(text: &str) -> Result<Allowed, String> {
    let text = text.trim();
    if let Ok(network) = parse_network(text) {
        return Ok(Allowed::Network(network));
    }
    let host = text.trim_end_matches('.').to_ascii_lowercase();
    let is_name = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if is_name {
        Ok(Allowed::Host(host))
    } else {
        Err(format!(
            "{text} is neither a CIDR range, an address nor a host name"
        ))
    }
}

fn parse_host_entry(text: &str) -> Result<(String, std::net::IpAddr), String> {
    let (name, address) = text
        .trim()
        .split_once('=')
        .ok_or_else(|| format!("{text} is not name=address"))?;
    let Ok(Allowed::Host(name)) = parse_allowed(name) else {
        return Err(format!("{name} is not a host name"));
    };
    let address = address
        .trim()
        .parse()
        .map_err(|_| format!("{address} is not an IP address"))?;
    Ok((name, address))
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
    /// Reads flags and environment variables, resolves the `DATABASE_URL` alias and checks the
    /// settings that depend on each other. Prints usage and exits on a malformed flag, as
    /// command-line tools do.
    pub fn load() -> Result<Self, SettingError> {
        Self::parse()
            .with_database_url_alias(std::env::var("DATABASE_URL").ok())?
            .checked()
    }

    /// Refuses a listen address on all interfaces without a public URL (links, the cookie and
    /// the origin check would name `0.0.0.0`, which no browser can reach or send), and a
    /// retention shorter than the retry schedule (history would lose deliveries still retried).
    pub fn checked(self) -> Result<Self, SettingError> {
        let retrying = self.delivery_settings().longest_retrying();
        if self.retention <= retrying {
            return Err(SettingError {
                setting: "--retention (HERALD_RETENTION)",
                reason: format!(
                    "must be longer than the retry schedule, which can keep a delivery pending \
                     for {} (its waits with 20 % jitter)",
                    humantime::format_duration(std::time::Duration::from_secs(retrying.as_secs()))
                ),
            });
        }
        if self.public_url.is_none() && self.listen.ip().is_unspecified() {
            return Err(SettingError {
                setting: "--public-url (HERALD_PUBLIC_URL)",
                reason: format!(
                    "required when listening on {}: give the address people open, e.g. \
                     http://herald.example.com:{}",
                    self.listen,
                    self.listen.port()
                ),
            });
        }
        Ok(self)
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
        match (&self.database_url, &self.data_dir) {
            (Some(url), _) => url.clone(),
            (None, Some(dir)) => DatabaseUrl::Sqlite {
                path: dir.join(crate::db::DEFAULT_SQLITE_FILE),
            },
            (None, None) => DatabaseUrl::default(),
        }
    }

    /// Creates the data directory if the database is to live there and it is missing.
    pub fn create_data_dir(&self) -> Result<(), SettingError> {
        match (&self.database_url, &self.data_dir) {
            (None, Some(dir)) => std::fs::create_dir_all(dir).map_err(|error| SettingError {
                setting: "--data-dir (HERALD_DATA_DIR)",
                reason: format!("cannot create {}: {error}", dir.display()),
            }),
            _ => Ok(()),
        }
    }

    /// The public URL, defaulting to plain HTTP on the listen address.
    pub fn public_url(&self) -> PublicUrl {
        self.public_url
            .clone()
            .unwrap_or_else(|| PublicUrl::for_listen_address(self.listen))
    }

    /// The master keys: given, read from the key file, or (SQLite only) created beside the
    /// database on first start.
    pub fn keyring(&self) -> Result<crate::crypto::Keyring, crate::crypto::KeyError> {
        use crate::crypto::{KeyError, Keyring};
        if let Some(keys) = &self.master_key {
            return Keyring::parse(keys)
                .map_err(|error| error.from_origin(|| "--master-key (HERALD_MASTER_KEY)".into()));
        }
        let in_file = |path: &std::path::Path| {
            let path = path.display().to_string();
            move |error: KeyError| error.from_origin(|| format!("the master key file {path}"))
        };
        if let Some(path) = &self.master_key_file {
            return match self.database_url() {
                DatabaseUrl::Sqlite { .. } => Keyring::read_or_create(path),
                DatabaseUrl::Postgres { .. } => Keyring::read(path),
            }
            .map_err(in_file(path));
        }
        match self.database_url() {
            DatabaseUrl::Sqlite { path } => {
                let mut key_file = path.into_os_string();
                key_file.push(".key");
                let key_file = std::path::PathBuf::from(key_file);
                Keyring::read_or_create(&key_file).map_err(in_file(&key_file))
            }
            DatabaseUrl::Postgres { .. } => Err(KeyError::Missing),
        }
    }

    /// Everything the services are built with.
    pub fn service_settings(&self) -> crate::state::ServiceSettings {
        crate::state::ServiceSettings {
            accounts: self.account_settings(),
            webhooks: self.webhook_settings(),
            delivery: self.delivery_settings(),
            rate_limits: crate::rest::rate_limit::RateLimits {
                reads_per_minute: self.api_reads_per_minute,
                writes_per_minute: self.api_writes_per_minute,
            },
        }
    }

    /// What the delivery engine needs to know.
    pub fn delivery_settings(&self) -> crate::delivery::DeliverySettings {
        let mut hosts: std::collections::HashMap<String, Vec<std::net::IpAddr>> =
            std::collections::HashMap::new();
        for (name, address) in &self.delivery_hosts {
            hosts.entry(name.clone()).or_default().push(*address);
        }
        let (mut allowed_networks, mut allowed_hosts) = (Vec::new(), Vec::new());
        for entry in &self.delivery_allow {
            match entry {
                Allowed::Network(network) => allowed_networks.push(*network),
                Allowed::Host(host) => allowed_hosts.push(host.clone()),
            }
        }
        crate::delivery::DeliverySettings {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            retry_schedule: self.retry_schedule.clone(),
            retention: self.retention,
            failure_threshold: self.failure_threshold,
            failing_period: self.failing_period,
            workers: usize::from(self.delivery_workers),
            per_webhook_in_flight: usize::from(self.per_webhook_in_flight),
            delivery_queue: self.delivery_queue as usize,
            user_agent: self.user_agent.clone(),
            allowed_networks,
            allowed_hosts,
            hosts,
            extra_ca_files: self.extra_ca_certificates.clone(),
            events_body_limit: self.events_body_limit as usize,
            ..crate::delivery::DeliverySettings::default()
        }
    }

    /// What the webhooks service needs to know.
    pub fn webhook_settings(&self) -> crate::webhooks::WebhookSettings {
        crate::webhooks::WebhookSettings {
            per_tenant: self.webhooks_per_tenant,
            per_owner: self.webhooks_per_owner,
        }
    }

    /// What the accounts service needs to know.
    pub fn account_settings(&self) -> AccountSettings {
        AccountSettings {
            public_url: self.public_url(),
            session_idle_timeout: self.session_idle_timeout,
            session_lifetime: self.session_lifetime,
            trusted_proxies: self.trusted_proxies.clone(),
        }
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
        assert_eq!(settings.public_url().origin(), "http://127.0.0.1:3000");
        assert_eq!(settings.session_idle_timeout, time::Duration::hours(12));
        assert_eq!(settings.session_lifetime, time::Duration::days(7));
        assert!(settings.trusted_proxies.is_empty());
        assert!(settings.command.is_none());
    }

    #[test]
    fn delivery_flags_default_to_the_engine_defaults_and_parse_their_lists() {
        let settings = parse(&[]).expect("no flags is valid");
        assert_eq!(
            settings.delivery_settings(),
            crate::delivery::DeliverySettings::default()
        );
        let settings = parse(&[
            "--retry-schedule",
            "1s, 2min",
            "--delivery-allow",
            "10.0.0.0/8,Hooks.Example.COM.",
            "--delivery-hosts",
            "a.test=127.0.0.1,a.test=::1",
            "--extra-ca-certificates",
            "/etc/ca.pem",
        ])
        .expect("valid flags");
        let delivery = settings.delivery_settings();
        assert_eq!(
            delivery.retry_schedule,
            [
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(120)
            ]
        );
        assert_eq!(delivery.max_attempts(), 3);
        assert_eq!(delivery.allowed_hosts, ["hooks.example.com"]);
        assert_eq!(delivery.allowed_networks.len(), 1);
        assert_eq!(delivery.hosts["a.test"].len(), 2);
        for (flag, value) in [
            ("--delivery-hosts", "a.test"),
            ("--delivery-hosts", "a.test=nowhere"),
            ("--delivery-allow", "not a host"),
            ("--retry-schedule", "5s,soon"),
            ("--user-agent", "bad\nagent"),
            ("--delivery-workers", "0"),
            ("--delivery-queue", "0"),
        ] {
            assert!(parse(&[flag, value]).is_err(), "{flag} {value}");
        }
    }

    #[test]
    fn a_retention_shorter_than_the_retry_schedule_is_refused() {
        // The default schedule adds up to 22 h 42 min 35 s, 27 h 15 min with jitter.
        let error = parse(&["--retention", "1day"])
            .expect("well formed")
            .checked()
            .expect_err("shorter than the schedule");
        assert!(error.to_string().contains("--retention"), "{error}");
        assert!(error.to_string().contains("1day 3h 15m"), "{error}");
        assert!(parse(&["--retention", "28h"])
            .expect("valid")
            .checked()
            .is_ok());
        let short = parse(&["--retention", "1day", "--retry-schedule", "1min,10min"])
            .expect("valid")
            .checked();
        assert!(short.is_ok(), "a short schedule fits");
    }

    #[test]
    fn listening_on_all_interfaces_needs_a_public_url() {
        for listen in ["0.0.0.0:8080", "[::]:8080"] {
            let error = parse(&["--listen", listen])
                .expect("valid flags")
                .checked()
                .expect_err("no public URL");
            assert!(error.to_string().contains("--public-url"), "{error}");
        }
        let settings = parse(&[
            "--listen",
            "0.0.0.0:8080",
            "--public-url",
            "http://h.example.com",
        ])
        .expect("valid flags")
        .checked()
        .expect("public URL given");
        assert_eq!(settings.public_url().origin(), "http://h.example.com");
    }

    #[test]
    fn account_settings_parse_durations_networks_and_the_public_url() {
        let settings = parse(&[
            "--public-url",
            "https://herald.example.com",
            "--trusted-proxies",
            "10.0.0.0/8,192.0.2.1",
            "--session-idle-timeout",
            "30min",
            "--session-lifetime",
            "1day",
        ])
        .expect("valid flags");
        let accounts = settings.account_settings();
        assert!(accounts.public_url.is_https());
        assert_eq!(accounts.trusted_proxies.len(), 2);
        assert_eq!(accounts.session_idle_timeout, time::Duration::minutes(30));
        assert_eq!(accounts.session_lifetime, time::Duration::days(1));

        let error = parse(&["--session-idle-timeout", "soon"]).expect_err("bad duration");
        assert!(
            error.to_string().contains("--session-idle-timeout"),
            "{error}"
        );
        let error = parse(&["--trusted-proxies", "proxy.local"]).expect_err("bad network");
        assert!(error.to_string().contains("--trusted-proxies"), "{error}");
        let error = parse(&["--public-url", "https://h.example.com/x"]).expect_err("path");
        assert!(error.to_string().contains("--public-url"), "{error}");
    }

    #[test]
    fn operator_commands_take_global_settings_after_them() {
        let settings = parse(&[
            "admin",
            "create",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--database-url",
            "sqlite://other.db",
            "--listen",
            "127.0.0.1:4000",
        ])
        .expect("valid command");
        assert_eq!(
            settings.database_url(),
            "sqlite://other.db".parse().expect("url")
        );
        assert_eq!(settings.public_url().origin(), "http://127.0.0.1:4000");
        let Some(Command::Admin(AdminCommand::Create(create))) = settings.command else {
            panic!("expected admin create");
        };
        assert_eq!(create.email, "ada@example.com");
        assert!(!create.password_stdin);
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
    fn the_data_directory_holds_the_default_database_only() {
        let settings = parse(&["--data-dir", "/var/lib/herald"]).expect("valid");
        assert_eq!(
            settings.database_url().to_string(),
            "sqlite:///var/lib/herald/herald.db"
        );
        let settings = parse(&[
            "--data-dir",
            "/var/lib/herald",
            "--database-url",
            "sqlite:///srv/other.db",
        ])
        .expect("valid");
        assert_eq!(
            settings.database_url().to_string(),
            "sqlite:///srv/other.db"
        );

        let dir = tempfile::tempdir().expect("temporary directory");
        let nested = dir.path().join("data/herald");
        let settings = parse(&["--data-dir", nested.to_str().expect("utf-8")]).expect("valid");
        settings.create_data_dir().expect("created");
        assert!(nested.is_dir());
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").expect("write");
        let settings =
            parse(&["--data-dir", file.join("below").to_str().expect("utf-8")]).expect("valid");
        let error = settings.create_data_dir().expect_err("not a folder");
        assert!(
            error
                .to_string()
                .starts_with("--data-dir (HERALD_DATA_DIR): cannot create"),
            "{error}"
        );
    }

    #[test]
    fn a_stop_waits_20_seconds_unless_told_otherwise() {
        let settings = parse(&[]).expect("valid");
        assert_eq!(settings.shutdown_grace, std::time::Duration::from_secs(20));
        let settings = parse(&["--shutdown-grace", "2min"]).expect("valid");
        assert_eq!(settings.shutdown_grace, std::time::Duration::from_secs(120));
        let error = parse(&["--shutdown-grace", "soon"]).expect_err("not a duration");
        assert!(error.to_string().contains("--shutdown-grace"), "{error}");
    }

    #[test]
    fn a_malformed_master_key_names_where_it_came_from() {
        let error = parse(&["--master-key", "c2hvcnQ="])
            .expect("valid")
            .keyring()
            .expect_err("too short");
        assert!(
            error
                .to_string()
                .starts_with("--master-key (HERALD_MASTER_KEY): the master key must be 32 bytes"),
            "{error}"
        );
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("master.key");
        std::fs::write(&file, "not base64 at all").expect("write");
        let error = parse(&["--master-key-file", file.to_str().expect("utf-8")])
            .expect("valid")
            .keyring()
            .expect_err("malformed file");
        assert!(
            error
                .to_string()
                .starts_with(&format!("the master key file {}: ", file.display())),
            "{error}"
        );
    }

    #[test]
    fn invalid_values_name_the_setting() {
        let error = parse(&["--listen", "not-an-address"]).expect_err("bad address");
        assert!(error.to_string().contains("--listen"), "{error}");

        let error = parse(&["--database-url", "mysql://x/y"]).expect_err("bad scheme");
        assert!(error.to_string().contains("--database-url"), "{error}");

        // A zero duration would mean "no grace" or "retry at once": refused, as the README says.
        let error = parse(&["--shutdown-grace", "0s"]).expect_err("zero");
        let text = error.to_string();
        assert!(
            text.contains("--shutdown-grace") && text.contains("longer than zero"),
            "{text}"
        );

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

    #[test]
    fn the_master_key_comes_from_a_setting_or_a_file_beside_sqlite() {
        use crate::crypto::KeyError;
        let postgres = parse(&["--database-url", "postgres://herald@db.example.com/herald"])
            .expect("valid flags");
        assert!(matches!(postgres.keyring(), Err(KeyError::Missing)));

        let dir = tempfile::tempdir().expect("temporary directory");
        let database = dir.path().join("herald.db");
        let url = format!("sqlite://{}", database.display());
        let sqlite = parse(&["--database-url", &url]).expect("valid flags");
        let first = sqlite.keyring().expect("a key file is created");
        let key_file = dir.path().join("herald.db.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file)
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = first.seal("context", "value").expect("seal");
        let again = sqlite.keyring().expect("the same key file is read");
        assert_eq!(again.open("context", &sealed).expect("opens"), "value");
    }
}
