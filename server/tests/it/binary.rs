//! The real `herald` executable: start-up, the one-process-per-SQLite-file rule, a clean
//! stop on SIGTERM, the first-start setup link and the operator commands.

use std::{
    path::Path,
    process::{ExitStatus, Stdio},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
    time::timeout,
};

/// How long a test waits for the binary to start or stop before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The `DATABASE_URL` of an SQLite file.
fn sqlite_url(database: &Path) -> String {
    format!("sqlite://{}", database.display())
}

/// A `herald` process on a random port, using the SQLite file `database`.
fn spawn_herald(database: &Path) -> Child {
    spawn_herald_with(&sqlite_url(database), &[])
}

/// A `herald` process on a random port, using the database at `database_url`, with more
/// settings in `env`.
pub fn spawn_herald_with(database_url: &str, env: &[(&str, String)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_herald"))
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .env("HERALD_DATABASE_URL", database_url)
        .env("HERALD_LOG_FORMAT", "human")
        .env("RUST_LOG", "info")
        .env_remove("DATABASE_URL")
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start herald")
}

/// Reads the log until Herald says where it listens, and returns that address.
pub async fn listening_address(child: &mut Child) -> String {
    start_log(child).await.0
}

/// Reads the log until Herald says where it listens; returns that address and the lines
/// logged before it.
async fn start_log(child: &mut Child) -> (String, Vec<String>) {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let started = timeout(PATIENCE, async {
        let mut earlier = Vec::new();
        while let Some(line) = lines.next_line().await.expect("readable log") {
            if let Some((_, address)) = line.split_once("listening on http://") {
                return (address.trim().to_owned(), earlier);
            }
            earlier.push(line);
        }
        panic!("herald exited without listening: {earlier:?}");
    })
    .await
    .expect("herald starts in time");
    // Keep draining the log so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    started
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

pub async fn terminate(child: &mut Child) -> ExitStatus {
    let pid = child.id().expect("running process").to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid}");
    timeout(PATIENCE, child.wait())
        .await
        .expect("herald stops in time")
        .expect("exit status")
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

/// Runs an operator command on the database at `database_url`, with more settings in `env`.
pub async fn herald_command_with(
    database_url: &str,
    env: &[(&str, String)],
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .env("HERALD_DATABASE_URL", database_url)
        .env_remove("DATABASE_URL")
        .env_remove("HERALD_ADMIN_PASSWORD")
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start herald command");
    let mut input = child.stdin.take().expect("piped stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    timeout(PATIENCE, child.wait_with_output())
        .await
        .expect("the command finishes in time")
        .expect("output")
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

    let created = herald_command(
        &database,
        &[
            "admin",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
            "--password-stdin",
        ],
        "a long operator passphrase\n",
    )
    .await;
    assert!(created.status.success(), "{created:?}");

    let key = herald_command(
        &database,
        &[
            "api-key",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "deploy",
            "--scopes",
            "webhooks,events:publish",
        ],
        "",
    )
    .await;
    assert!(key.status.success(), "{key:?}");
    let stdout = String::from_utf8_lossy(&key.stdout).into_owned();
    let key = stdout
        .lines()
        .find(|line| line.starts_with("herald_"))
        .unwrap_or_else(|| panic!("no key printed: {stdout}"))
        .to_owned();

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
