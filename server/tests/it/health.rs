//! `/healthz` and `/readyz`.

use axum::http::StatusCode;

use crate::{
    on_both_databases,
    support::{body_text, postgres_admin, Engine, TestApp},
};

on_both_databases!(
    healthz_answers_ok,
    readyz_answers_ok_while_the_database_answers,
    readyz_is_503_once_the_pool_is_closed
);

async fn healthz_answers_ok(engine: Engine) {
    let app = TestApp::start(engine).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, r#"{"status":"ok"}"#);
}

async fn readyz_answers_ok_while_the_database_answers(engine: Engine) {
    let app = TestApp::start(engine).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, r#"{"status":"ready"}"#);
}

async fn readyz_is_503_once_the_pool_is_closed(engine: Engine) {
    let app = TestApp::start(engine).await;
    app.state.db.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body_text(response)
        .await
        .contains(r#""status":"unavailable""#));
    let liveness = app.get("/healthz").await;
    assert_eq!(
        liveness.status(),
        StatusCode::OK,
        "alive even when not ready"
    );
}

/// A real outage: PostgreSQL refuses new connections and drops the existing ones; `/readyz`
/// goes to 503, then back to 200 once the database accepts connections again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_a_postgres_outage_and_recovery() {
    let app = TestApp::start(Engine::Postgres).await;
    let name = app
        .database
        .postgres_name
        .clone()
        .expect("a PostgreSQL database");
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);

    postgres_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    postgres_admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    postgres_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}
