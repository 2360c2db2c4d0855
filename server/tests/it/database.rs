//! Opening, configuring and migrating the database.

use server::db::{Backend, Database, OpenError};
use sqlx::Row;

use crate::{
    on_both_databases,
    support::{Engine, TestDatabase},
};

on_both_databases!(migrations_run_once_and_keep_data_across_restarts);

async fn migrations_run_once_and_keep_data_across_restarts(engine: Engine) {
    let database = TestDatabase::create(engine).await;
    let first = Database::open(&database.url).await.expect("first open");
    let expected_backend = match engine {
        Engine::Sqlite => Backend::Sqlite,
        Engine::Postgres => Backend::Postgres,
    };
    assert_eq!(first.backend(), expected_backend);
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind("7f1c7c84-2a47-4c7e-9d43-0a5b1e2f3c4d")
        .bind("Acme")
        .bind(1_795_000_000_000_i64)
        .execute(first.pool())
        .await
        .expect("insert with portable types");
    first.close().await;
    drop(first);

    let second = Database::open(&database.url).await.expect("reopen");
    let row = sqlx::query("SELECT name, created_at FROM tenants")
        .fetch_one(second.pool())
        .await
        .expect("the row survived");
    assert_eq!(row.get::<String, _>("name"), "Acme");
    assert_eq!(row.get::<i64, _>("created_at"), 1_795_000_000_000);

    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(second.pool())
        .await
        .expect("migration history");
    let shipped = std::fs::read_dir(match engine {
        Engine::Sqlite => "migrations/sqlite",
        Engine::Postgres => "migrations/postgres",
    })
    .expect("migrations folder")
    .count();
    assert_eq!(applied, i64::try_from(shipped).expect("small count"));
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let database = TestDatabase::create(Engine::Sqlite).await;
    let db = Database::open(&database.url).await.expect("open");
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(db.pool())
        .await
        .expect("journal mode");
    assert_eq!(journal, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(db.pool())
        .await
        .expect("foreign keys");
    assert_eq!(foreign_keys, 1);
}

#[tokio::test]
async fn a_second_open_of_the_same_sqlite_file_is_refused() {
    let database = TestDatabase::create(Engine::Sqlite).await;
    let _first = Database::open(&database.url).await.expect("first open");
    let error = Database::open(&database.url)
        .await
        .expect_err("second open must be refused");
    assert!(matches!(error, OpenError::Locked(_)), "{error}");
    assert!(
        error
            .to_string()
            .contains("already used by another Herald process"),
        "{error}"
    );
}
