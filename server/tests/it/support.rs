//! Builds the real application on a real database for each test.
//!
//! Every test that takes an [`Engine`] runs twice through [`on_both_databases!`]: once on a
//! fresh SQLite file and once on a fresh PostgreSQL database. The PostgreSQL server is the
//! throw-away cluster that `scripts/test` starts; its address comes in
//! `HERALD_TEST_POSTGRES_URL` (`postgres://USER@127.0.0.1:PORT`, no database name).

use std::sync::Arc;

use axum::{body::Body, http::Request, response::Response, Router};
use http_body_util::BodyExt;
use server::{
    accounts::AccountSettings,
    clock::ManualClock,
    config::PublicUrl,
    crypto::Keyring,
    db::{Database, DatabaseUrl},
    delivery::DeliverySettings,
    rest::rate_limit::RateLimits,
    router, site,
    state::ServiceSettings,
    webhooks::WebhookSettings,
    AppState,
};
use sqlx::{Connection, Executor};
use tempfile::TempDir;
use time::macros::datetime;
use tower::ServiceExt;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Writes a `sqlite` and a `postgres` test for each named `async fn(Engine)`.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test($crate::support::Engine::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test($crate::support::Engine::Postgres).await
                }
            }
        )+
    };
}

/// A fresh, empty database of one engine, deleted (SQLite) or abandoned (PostgreSQL,
/// a throw-away cluster) after the test.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    /// PostgreSQL only: the database's name on the test cluster.
    pub postgres_name: Option<String>,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    pub async fn create(engine: Engine) -> Self {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = DatabaseUrl::Sqlite {
                    path: dir.path().join("herald.db"),
                };
                Self {
                    url,
                    postgres_name: None,
                    _dir: Some(dir),
                }
            }
            Engine::Postgres => {
                let name = format!("herald_test_{}", uuid::Uuid::new_v4().simple());
                postgres_admin(&format!("CREATE DATABASE {name}")).await;
                Self {
                    url: DatabaseUrl::Postgres {
                        url: format!("{}/{name}", postgres_server()),
                    },
                    postgres_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

/// The test cluster's base URL.
fn postgres_server() -> String {
    std::env::var("HERALD_TEST_POSTGRES_URL").expect(
        "HERALD_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts a \
         throw-away PostgreSQL server, or point it at one (postgres://USER@HOST:PORT)",
    )
}

/// Runs one statement on the test cluster's `postgres` database, as its superuser.
pub async fn postgres_admin(statement: &str) {
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&format!("{}/postgres", postgres_server()))
        .await
        .expect("connect to the PostgreSQL test server");
    admin
        .execute(statement)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
    admin.close().await.expect("close admin connection");
}

/// The public URL every test app is configured with; console requests carry it as `Origin`.
pub const PUBLIC_URL: &str = "http://herald.test:3000";

/// The master key of every test app (32 bytes of 0x2a, base64).
pub const TEST_MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// The settings of accounts in tests: the documented defaults, on [`PUBLIC_URL`].
pub fn account_settings() -> AccountSettings {
    AccountSettings {
        public_url: PUBLIC_URL.parse::<PublicUrl>().expect("valid public URL"),
        session_idle_timeout: time::Duration::hours(12),
        session_lifetime: time::Duration::days(7),
        trusted_proxies: Vec::new(),
    }
}

/// The application under test, on its own database, with a clock that only tests move.
pub struct TestApp {
    pub state: AppState,
    pub database: TestDatabase,
    pub clock: Arc<ManualClock>,
    router: Router,
}

impl TestApp {
    pub async fn start(engine: Engine) -> Self {
        Self::start_with(engine, account_settings()).await
    }

    /// An app with other account settings (public URL, trusted proxies, session limits).
    pub async fn start_with(engine: Engine, settings: AccountSettings) -> Self {
        Self::start_with_services(engine, |services| services.accounts = settings).await
    }

    /// An app whose service settings (quotas, rate limits …) `adjust` changes from the defaults.
    pub async fn start_with_services(
        engine: Engine,
        adjust: impl FnOnce(&mut ServiceSettings),
    ) -> Self {
        let mut settings = ServiceSettings {
            accounts: account_settings(),
            webhooks: WebhookSettings::default(),
            delivery: DeliverySettings::default(),
            rate_limits: RateLimits::default(),
        };
        adjust(&mut settings);
        let database = TestDatabase::create(engine).await;
        let db = Database::open(&database.url)
            .await
            .expect("open test database");
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-01 09:00 UTC)));
        let state = AppState::new(
            site::leptos_options(std::path::Path::new("target/site")),
            db,
            clock.clone(),
            Keyring::parse(TEST_MASTER_KEY).expect("test master key"),
            settings,
        )
        .expect("application state");
        Self {
            router: router(state.clone()),
            state,
            database,
            clock,
        }
    }

    /// The time on the test clock.
    pub fn clock_now(&self) -> time::OffsetDateTime {
        server::clock::Clock::now(self.clock.as_ref())
    }

    /// Sends one request through the real router.
    pub async fn send(&self, request: Request<Body>) -> Response {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails")
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.send(
            Request::get(path)
                .body(Body::empty())
                .expect("valid request"),
        )
        .await
    }
}

/// The whole body of a response, as text.
pub async fn body_text(response: Response) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("readable body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Calls a console server function the way the browser does: `POST /api/<name>` from the
    /// public origin, with the session cookie when given. `json` picks the JSON encoding (the
    /// admin functions) over the form encoding (the sign-in and link forms).
    pub async fn server_fn(
        &self,
        name: &str,
        session: Option<&str>,
        body: ServerFnBody,
    ) -> Response {
        let mut request = Request::post(format!("/api/{name}"))
            .header("origin", self.state.accounts.settings().public_url.origin())
            .header("sec-fetch-site", "same-origin");
        if let Some(token) = session {
            request = request.header("cookie", format!("herald_session={token}"));
        }
        let request = match body {
            ServerFnBody::Form(fields) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(fields)
                        .finish(),
                )),
            ServerFnBody::Json(value) => request
                .header("content-type", "application/json")
                .body(Body::from(value.to_string())),
        };
        self.send(request.expect("valid request")).await
    }

    /// `GET path` of a console page, with the session cookie when given.
    pub async fn page(&self, path: &str, session: Option<&str>) -> Response {
        let mut request = Request::get(path).header("accept", "text/html");
        if let Some(token) = session {
            request = request.header("cookie", format!("herald_session={token}"));
        }
        self.send(request.body(Body::empty()).expect("valid request"))
            .await
    }

    /// `GET path` of the REST API with `Authorization: Bearer <key>` when given.
    pub async fn api_get(&self, path: &str, key: Option<&str>) -> Response {
        let mut request = Request::get(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        self.send(request.body(Body::empty()).expect("valid request"))
            .await
    }

    /// Signs in through the server function and returns the new session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let response = self
            .server_fn(
                "sign_in",
                None,
                ServerFnBody::form(&[("email", email), ("password", password)]),
            )
            .await;
        session_cookie(&response).unwrap_or_else(|| panic!("sign-in of {email} failed"))
    }

    /// A TenantAdmin of the first tenant, created as `herald admin create` does, signed in.
    pub async fn first_admin(&self, email: &str) -> String {
        self.state.accounts.bootstrap().await.expect("bootstrap");
        let tenant = self
            .state
            .accounts
            .operator_tenant(None)
            .await
            .expect("one tenant");
        self.state
            .accounts
            .create_admin(&tenant, email, "First Admin", PASSWORD)
            .await
            .expect("create admin");
        self.sign_in(email, PASSWORD).await
    }

    /// Invites a user with `role` as the signed-in admin, accepts the invite, and returns the
    /// user's session token and id.
    pub async fn add_user(&self, admin: &str, email: &str, role: &str) -> (String, String) {
        let added = self.add_user_with_invite(admin, email, role).await;
        (added.session, added.id)
    }

    /// [`Self::add_user`], also returning the invite token that was used.
    pub async fn add_user_with_invite(&self, admin: &str, email: &str, role: &str) -> AddedUser {
        let response = self
            .server_fn(
                "invite_user",
                Some(admin),
                ServerFnBody::Json(serde_json::json!({
                    "email": email, "display_name": "Invited", "role": role, "external_id": ""
                })),
            )
            .await;
        let link = json_ok(response).await;
        let token = link_token(link["url"].as_str().expect("link url"));
        let response = self
            .server_fn(
                "accept_invite",
                None,
                ServerFnBody::form(&[
                    ("token", &token),
                    ("display_name", "Invited User"),
                    ("password", PASSWORD),
                    ("confirmation", PASSWORD),
                ]),
            )
            .await;
        let session = session_cookie(&response).expect("invite accepted");
        let users = json_ok(
            self.server_fn("list_users", Some(admin), ServerFnBody::empty())
                .await,
        )
        .await;
        let id = users
            .as_array()
            .expect("user list")
            .iter()
            .find(|user| user["email"] == email)
            .map(|user| user["id"].as_str().expect("id").to_owned())
            .expect("invited user listed");
        AddedUser {
            session,
            id,
            invite_token: token,
        }
    }
}

/// A user added through an invite.
pub struct AddedUser {
    pub session: String,
    pub id: String,
    pub invite_token: String,
}

/// A server function's arguments.
pub enum ServerFnBody {
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
}

impl ServerFnBody {
    pub fn form(fields: &[(&str, &str)]) -> Self {
        ServerFnBody::Form(
            fields
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }

    pub fn empty() -> Self {
        ServerFnBody::Form(Vec::new())
    }
}

/// The session token a response set, if it set one.
pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.strip_prefix("herald_session="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .find(|token| !token.is_empty())
}

/// The token of a one-time link URL.
pub fn link_token(url: &str) -> String {
    url.split_once("?token=")
        .map(|(_, token)| token.to_owned())
        .unwrap_or_else(|| panic!("not a one-time link: {url}"))
}

/// The JSON body of a successful response.
pub async fn json_ok(response: Response) -> serde_json::Value {
    let status = response.status();
    let text = body_text(response).await;
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
}

/// The error a server function answered with.
pub async fn app_error(response: Response) -> app::error::AppError {
    let status = response.status();
    let text = body_text(response).await;
    assert!(
        !status.is_success(),
        "expected an error, got {status}: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{status} {error}: {text}"))
}
