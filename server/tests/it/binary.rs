//! The real `herald` executable: start-up, the one-process-per-SQLite-file rule, a clean
//! stop on SIGTERM, the first-start setup link and the operator commands.

use std::path::Path;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    process::Child,
    time::timeout,
};

use crate::process::{listening_address, start_log, terminate, PATIENCE};

/// The debug `herald` these tests run.
fn program() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_herald"))
}

/// The `DATABASE_URL` of an SQLite file.
fn sqlite_url(database: &Path) -> String {
    format!("sqlite://{}", database.display())
}

/// A `herald` process on a random port, using the SQLite file `database`.
fn spawn_herald(database: &Path) -> Child {
    spawn_herald_with(&sqlite_url(database), &[])
}

/// `env` with the database at `database_url` first.
fn with_database<'a>(database_url: &str, env: &[(&'a str, String)]) -> Vec<(&'a str, String)> {
    std::iter::once(("HERALD_DATABASE_URL", database_url.to_owned()))
        .chain(env.iter().map(|(name, value)| (*name, value.clone())))
        .collect()
}

/// A `herald` process on a random port, using the database at `database_url`, with more
/// settings in `env`.
pub fn spawn_herald_with(database_url: &str, env: &[(&str, String)]) -> Child {
    crate::process::spawn(program(), Path::new("."), &with_database(database_url, env))
}

/// One plain HTTP/1.1 GET; returns the status line.
async fn status_line(address: &str, path: &str) -> String {
    status_line_with(address, path, "").await
}

/// One plain HTTP/1.1 GET with extra header lines (each ending in `\r\n`).
async fn status_line_with(address: &str, path: &str, headers: &str) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Connection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("send request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read response");
    response.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn herald_serves_refuses_a_second_process_on_the_same_file_and_stops_cleanly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("herald.db");

    let mut first = spawn_herald(&database);
    let address = listening_address(&mut first).await;
    assert!(
        database.exists(),
        "the SQLite file is created on first start"
    );
    assert_eq!(status_line(&address, "/readyz").await, "HTTP/1.1 200 OK");

    let second = spawn_herald(&database);
    let refused = timeout(PATIENCE, second.wait_with_output())
        .await
        .expect("the second herald exits at once")
        .expect("output");
    assert!(!refused.status.success(), "the second herald must fail");
    let log = String::from_utf8_lossy(&refused.stdout).into_owned()
        + &String::from_utf8_lossy(&refused.stderr);
    assert!(
        log.contains("already used by another Herald process"),
        "{log}"
    );

    assert!(
        terminate(&mut first).await.success(),
        "SIGTERM is a clean stop"
    );

    let mut restarted = spawn_herald(&database);
    let address = listening_address(&mut restarted).await;
    assert_eq!(status_line(&address, "/healthz").await, "HTTP/1.1 200 OK");
    assert!(terminate(&mut restarted).await.success());
}

/// Runs an operator command on `database` with `stdin` as its input.
async fn herald_command(database: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    herald_command_with(&sqlite_url(database), &[], args, stdin).await
}

/// An admin and an API key for both scopes on the database at `database_url`, made with the
/// operator commands; the key.
pub async fn herald_admin_and_key(database_url: &str, env: &[(&str, String)]) -> String {
    crate::process::admin_and_key(program(), Path::new("."), &with_database(database_url, env))
        .await
}

/// Runs an operator command on the database at `database_url`, with more settings in `env`.
pub async fn herald_command_with(
    database_url: &str,
    env: &[(&str, String)],
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    crate::process::command(
        program(),
        Path::new("."),
        &with_database(database_url, env),
        args,
        stdin,
    )
    .await
}

#[tokio::test]
async fn first_start_prints_a_setup_link_and_operator_commands_work_beside_a_running_herald() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("herald.db");

    let mut herald = spawn_herald(&database);
    let (address, earlier) = start_log(&mut herald).await;
    let setup = earlier
        .iter()
        .find(|line| line.contains("/setup?token="))
        .unwrap_or_else(|| panic!("no setup link in {earlier:?}"));
    assert!(setup.contains("create the first TenantAdmin"), "{setup}");

    // No password anywhere: without one, the command refuses and says how to give it.
    let refused = herald_command(
        &database,
        &[
            "admin",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
        ],
        "",
    )
    .await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("HERALD_ADMIN_PASSWORD"),
        "{refused:?}"
    );

    // Both commands succeed and print the key (the helper checks each).
    let key = herald_admin_and_key(&sqlite_url(&database), &[]).await;

    // The running Herald accepts the key the command created.
    assert_eq!(
        status_line_with(
            &address,
            "/api/v1/users/me",
            &format!("Authorization: Bearer {key}\r\n")
        )
        .await,
        "HTTP/1.1 200 OK"
    );
    assert!(terminate(&mut herald).await.success());

    // With an account in place, a restart prints no setup link.
    let mut restarted = spawn_herald(&database);
    let (_, earlier) = start_log(&mut restarted).await;
    assert!(
        !earlier.iter().any(|line| line.contains("/setup?token=")),
        "{earlier:?}"
    );
    assert!(terminate(&mut restarted).await.success());
}

/// Every setting of `--help` is in the README's settings table and the other way round, each
/// with its variable; PostgreSQL without a master key and an invalid value stop start-up with a
/// message naming the setting.
#[tokio::test]
async fn settings_are_documented_and_refused_by_name() {
    let help = herald_command_with("sqlite://unused.db", &[], &["--help"], "").await;
    assert!(help.status.success(), "{help:?}");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README");
    let variables = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .filter(|word| word.starts_with("HERALD_") && word.len() > "HERALD_".len())
            .map(str::to_owned)
            .collect()
    };
    let table: String = readme
        .lines()
        .filter(|line| line.starts_with("| `--"))
        .collect::<Vec<_>>()
        .join("\n");
    let in_help = variables(&help);
    let in_table: std::collections::BTreeSet<String> = variables(&table);
    assert_eq!(
        in_help, in_table,
        "--help and the README's settings table differ"
    );
    assert!(help.contains("[default: 127.0.0.1:3000]"), "{help}");

    let dir = tempfile::tempdir().expect("temporary directory");
    let refused = crate::process::command(
        program(),
        dir.path(),
        &[(
            "HERALD_DATABASE_URL",
            "postgres://herald@127.0.0.1:1/herald".to_owned(),
        )],
        &[],
        "",
    )
    .await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).into_owned()
        + &String::from_utf8_lossy(&refused.stdout);
    assert!(said.contains("PostgreSQL needs a master key"), "{said}");

    let refused = crate::process::command(
        program(),
        dir.path(),
        &[("HERALD_RETENTION", "a week".to_owned())],
        &[],
        "",
    )
    .await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(said.contains("--retention"), "{said}");
}
