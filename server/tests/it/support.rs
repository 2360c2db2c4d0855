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
    clock::ManualClock,
    db::{Database, DatabaseUrl},
    router, site, AppState,
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

/// The application under test, on its own database, with a clock that only tests move.
pub struct TestApp {
    pub state: AppState,
    pub database: TestDatabase,
    router: Router,
}

impl TestApp {
    pub async fn start(engine: Engine) -> Self {
        let database = TestDatabase::create(engine).await;
        let db = Database::open(&database.url)
            .await
            .expect("open test database");
        let state = AppState {
            leptos_options: site::leptos_options(std::path::Path::new("target/site")),
            db,
            clock: Arc::new(ManualClock::new(datetime!(2026-11-01 09:00 UTC))),
        };
        Self {
            router: router(state.clone()),
            state,
            database,
        }
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
