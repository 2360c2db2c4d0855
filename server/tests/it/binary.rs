//! The real `herald` executable: start-up, the one-process-per-SQLite-file rule and a clean
//! stop on SIGTERM.

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
const PATIENCE: Duration = Duration::from_secs(30);

/// A `herald` process on a random port, using the SQLite file `database`.
fn spawn_herald(database: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_herald"))
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .env(
            "HERALD_DATABASE_URL",
            format!("sqlite://{}", database.display()),
        )
        .env("HERALD_LOG_FORMAT", "human")
        .env("RUST_LOG", "info")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start herald")
}

/// Reads the log until Herald says where it listens, and returns that address.
async fn listening_address(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = timeout(PATIENCE, async {
        while let Some(line) = lines.next_line().await.expect("readable log") {
            if let Some((_, address)) = line.split_once("listening on http://") {
                return address.trim().to_owned();
            }
        }
        panic!("herald exited without listening");
    })
    .await
    .expect("herald starts in time");
    // Keep draining the log so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    address
}

/// One plain HTTP/1.1 GET; returns the status line.
async fn status_line(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
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

async fn terminate(child: &mut Child) -> ExitStatus {
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
