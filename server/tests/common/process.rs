//! Running a `herald` executable in a test: start it on a random port, read where it listens,
//! stop it with SIGTERM, run its operator commands. Shared by the integration tests (the debug
//! binary) and the release-binary test (`tests/release_binary.rs`).

use std::{
    path::Path,
    process::{ExitStatus, Output, Stdio},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command},
    time::timeout,
};

/// How long a test waits for the binary to start or stop before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// `program` with the settings every test starts from: nothing inherited but `PATH` (no
/// database, key, password or site folder from the developer's environment), and the
/// settings in `env` on top.
fn herald(program: &Path, env: &[(&str, String)]) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .envs(std::env::var_os("PATH").map(|path| ("PATH", path)))
        .env("HERALD_LOG_FORMAT", "human")
        .env("RUST_LOG", "info")
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// `program` serving on a random port of 127.0.0.1 from the directory `dir`, with `env`.
pub fn spawn(program: &Path, dir: &Path, env: &[(&str, String)]) -> Child {
    herald(program, env)
        .current_dir(dir)
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.display()))
}

/// Reads the log until Herald says where it listens, and returns that address.
pub async fn listening_address(child: &mut Child) -> String {
    start_log(child).await.0
}

/// Reads the log until Herald says where it listens; returns that address and the lines
/// logged before it.
pub async fn start_log(child: &mut Child) -> (String, Vec<String>) {
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

/// Sends SIGTERM to a running process.
pub async fn sigterm(child: &Child) {
    let pid = child.id().expect("running process").to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid}");
}

/// Sends SIGTERM and waits for the process to end.
pub async fn terminate(child: &mut Child) -> ExitStatus {
    sigterm(child).await;
    timeout(PATIENCE, child.wait())
        .await
        .expect("herald stops in time")
        .expect("exit status")
}

/// Runs the operator command `args` of `program` from the directory `dir`, with `env` and
/// `stdin` as its input.
pub async fn command(
    program: &Path,
    dir: &Path,
    env: &[(&str, String)],
    args: &[&str],
    stdin: &str,
) -> Output {
    let mut child = herald(program, env)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.display()));
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

/// Runs the operator command `args` of `program` and returns what it printed; a test failure
/// when it fails.
async fn operator(
    program: &Path,
    dir: &Path,
    env: &[(&str, String)],
    args: &[&str],
    stdin: &str,
) -> String {
    let output = command(program, dir, env, args, stdin).await;
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Creates the admin ops@example.com and an API key of theirs for both scopes with the operator
/// commands of `program`; the key.
pub async fn admin_and_key(program: &Path, dir: &Path, env: &[(&str, String)]) -> String {
    operator(
        program,
        dir,
        env,
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
    let printed = operator(
        program,
        dir,
        env,
        &[
            "api-key",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "test publisher",
            "--scopes",
            "webhooks,events:publish",
        ],
        "",
    )
    .await;
    printed
        .lines()
        .find(|line| line.starts_with("herald_"))
        .unwrap_or_else(|| panic!("no key printed: {printed}"))
        .to_owned()
}
