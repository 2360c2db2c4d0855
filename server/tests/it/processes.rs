//! The delivery engine in real `herald` processes (SPEC §5.7, §5.8): a process killed with
//! SIGKILL under load loses no accepted event, and two processes on one PostgreSQL share the
//! work with every successful delivery arriving exactly once.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use serde_json::{json, Value};
use server::db::DatabaseUrl;
use tempfile::TempDir;
use test_receiver::{Planned, Receiver};
use tokio::process::Child;

use crate::{
    binary::{herald_command_with, listening_address, spawn_herald_with, PATIENCE},
    delivery_support::HOOKS,
    support::{Engine, TestDatabase, TEST_MASTER_KEY},
};

/// A receiver, and the settings that let `herald` processes reach it.
struct Setup {
    receiver: Receiver,
    /// Kept until the test ends (SQLite: its directory).
    _database: TestDatabase,
    database_url: String,
    env: Vec<(&'static str, String)>,
    _ca_dir: TempDir,
    http: reqwest::Client,
}

impl Setup {
    async fn new(engine: Engine) -> Self {
        let receiver = Receiver::start(&[HOOKS], 0).await.expect("receiver");
        let ca_dir = tempfile::tempdir().expect("temporary directory");
        let ca_file = ca_dir.path().join("ca.pem");
        std::fs::write(&ca_file, receiver.ca_pem()).expect("write CA");
        let database = TestDatabase::create(engine).await;
        let database_url = match &database.url {
            DatabaseUrl::Sqlite { path } => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres { url } => url.clone(),
        };
        let env = vec![
            ("HERALD_MASTER_KEY", TEST_MASTER_KEY.to_owned()),
            ("HERALD_DELIVERY_HOSTS", format!("{HOOKS}=127.0.0.1")),
            ("HERALD_DELIVERY_ALLOW", "127.0.0.1/32".to_owned()),
            (
                "HERALD_EXTRA_CA_CERTIFICATES",
                ca_file.display().to_string(),
            ),
            // Shorter timeouts make shorter leases (2 × 6 s), so a dead node's claims expire
            // soon; still long enough that a busy test machine does not time attempts out.
            ("HERALD_CONNECT_TIMEOUT", "1s".to_owned()),
            ("HERALD_REQUEST_TIMEOUT", "5s".to_owned()),
        ];
        Self {
            receiver,
            _database: database,
            database_url,
            env,
            _ca_dir: ca_dir,
            http: reqwest::Client::new(),
        }
    }

    /// A `herald` process whose deliveries carry `User-Agent: <name>`; it and its address.
    async fn node(&self, name: &str) -> (Child, String) {
        let mut env = self.env.clone();
        env.push(("HERALD_USER_AGENT", name.to_owned()));
        let mut child = spawn_herald_with(&self.database_url, &env);
        let address = listening_address(&mut child).await;
        (child, address)
    }

    async fn command(&self, args: &[&str], stdin: &str) -> String {
        let output = herald_command_with(&self.database_url, &self.env, args, stdin).await;
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// An admin and an API key for both scopes, made with the operator commands.
    async fn key(&self) -> String {
        self.command(
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
        let printed = self
            .command(
                &[
                    "api-key",
                    "create",
                    "--email",
                    "ops@example.com",
                    "--name",
                    "load",
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

    async fn post(
        &self,
        address: &str,
        path: &str,
        key: &str,
        body: &Value,
    ) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!("http://{address}{path}"))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .timeout(PATIENCE)
            .send()
            .await
    }

    /// Publishes `batch` (event ids) as one request; whether it was accepted.
    async fn publish(&self, address: &str, key: &str, ids: &[String]) -> bool {
        match self.post(address, "/api/v1/events", key, &batch(ids)).await {
            Ok(response) => response.status() == 202,
            Err(_) => false,
        }
    }

    /// How often each event id arrived at `path`, and by which node.
    fn arrivals(&self, path: &str) -> (HashMap<String, usize>, HashMap<String, usize>) {
        let mut per_event: HashMap<String, usize> = HashMap::new();
        let mut per_node: HashMap<String, usize> = HashMap::new();
        for request in self.receiver.received_on(path) {
            let body: Value = serde_json::from_str(&request.body).expect("JSON body");
            let id = body["eventId"].as_str().expect("event id").to_owned();
            *per_event.entry(id).or_default() += 1;
            let node = request.header("user-agent").unwrap_or_default().to_owned();
            *per_node.entry(node).or_default() += 1;
        }
        (per_event, per_node)
    }

    /// How many deliveries are in each status, with which message (for failure reports).
    async fn delivery_states(&self) -> Vec<(String, String, i64, i64)> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let url = if self.database_url.starts_with("sqlite") {
            format!("{}?mode=ro", self.database_url)
        } else {
            self.database_url.clone()
        };
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        sqlx::query_as(
            "SELECT status, status_message, COUNT(*), MAX(attempt_count) FROM deliveries \
             GROUP BY status, status_message",
        )
        .fetch_all(&mut conn)
        .await
        .expect("states")
    }

    /// Waits until every id in `expected` arrived at `path`.
    async fn wait_for_all(&self, path: &str, expected: &HashSet<String>, patience: Duration) {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let (arrived, _) = self.arrivals(path);
            let missing = expected
                .iter()
                .filter(|id| !arrived.contains_key(*id))
                .count();
            if missing == 0 {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "{missing} of {} accepted events never arrived; deliveries: {:?}",
                    expected.len(),
                    self.delivery_states().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

crate::on_both_databases!(a_killed_process_loses_no_accepted_event);

/// A batch of `com.qlik.v1.app.created` events with `ids`.
fn batch(ids: &[String]) -> Value {
    ids.iter()
        .map(|id| {
            json!({"specversion": "1.0", "id": id, "source": "/load",
                   "type": "com.qlik.v1.app.created", "data": {"n": id}})
        })
        .collect()
}

async fn a_killed_process_loses_no_accepted_event(engine: Engine) {
    let setup = Setup::new(engine).await;
    let key = setup.key().await;
    let (mut node, address) = setup.node("first").await;
    let created = setup
        .post(
            &address,
            "/api/v1/webhooks",
            &key,
            &json!({"name": "crash", "url": setup.receiver.url("/crash"),
                    "eventTypes": ["com.qlik.v1.app.created"]}),
        )
        .await
        .expect("create webhook");
    assert_eq!(created.status(), 201);
    // Each answer takes a moment, so attempts are in flight when the process dies.
    setup.receiver.plan(
        "/crash",
        vec![Planned::status(200).with_delay(Duration::from_millis(30))],
    );

    // Steady load: batches of 10 until the process is gone (at most 2,000 events).
    let accepted = Arc::new(std::sync::Mutex::new(HashSet::new()));
    let running = Arc::new(AtomicBool::new(true));
    let load = {
        let (accepted, running, address, key) = (
            accepted.clone(),
            running.clone(),
            address.clone(),
            key.clone(),
        );
        let setup_http = setup.http.clone();
        tokio::spawn(async move {
            let mut number = 0;
            while running.load(Ordering::SeqCst) && number < 200 {
                let ids: Vec<String> = (0..10).map(|n| format!("e-{number}-{n}")).collect();
                let sent = setup_http
                    .post(format!("http://{address}/api/v1/events"))
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(batch(&ids).to_string())
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 202 => {
                        accepted.lock().expect("lock").extend(ids);
                    }
                    Ok(response) => panic!("refused: {}", response.status()),
                    Err(_) => break,
                }
                number += 1;
            }
        })
    };
    // Let deliveries flow, then kill the process while events still come in.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while setup.receiver.received_on("/crash").len() < 50
        || accepted.lock().expect("lock").len() < 500
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no deliveries under load"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.start_kill().expect("SIGKILL");
    node.wait().await.expect("killed");
    running.store(false, Ordering::SeqCst);
    load.await.expect("load task");
    let accepted = accepted.lock().expect("lock").clone();
    let before_restart = setup.receiver.received_on("/crash").len();
    assert!(
        accepted.len() > before_restart / 2,
        "load was steady: {} accepted",
        accepted.len()
    );

    let (mut restarted, _) = setup.node("second").await;
    setup
        .wait_for_all("/crash", &accepted, Duration::from_secs(120))
        .await;
    let (arrivals, _) = setup.arrivals("/crash");
    let duplicates = arrivals.values().filter(|count| **count > 1).count();
    // Only attempts in flight at the kill are sent again: at most one per worker (256).
    assert!(duplicates <= 256, "{duplicates} events arrived twice");
    crate::binary::terminate(&mut restarted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_deliver_each_event_exactly_once() {
    let setup = Setup::new(Engine::Postgres).await;
    let key = setup.key().await;
    let (mut first, first_address) = setup.node("node-a").await;
    let (mut second, second_address) = setup.node("node-b").await;
    let created = setup
        .post(
            &first_address,
            "/api/v1/webhooks",
            &key,
            &json!({"name": "shared", "url": setup.receiver.url("/shared"),
                    "eventTypes": ["com.qlik.v1.app.created"]}),
        )
        .await
        .expect("create webhook");
    assert_eq!(created.status(), 201);
    let mut expected = HashSet::new();
    for number in 0..100 {
        let ids: Vec<String> = (0..100).map(|n| format!("e-{number}-{n}")).collect();
        // Both nodes take events, and any node may deliver any of them.
        let address = if number % 2 == 0 {
            &first_address
        } else {
            &second_address
        };
        assert!(setup.publish(address, &key, &ids).await, "batch {number}");
        expected.extend(ids);
    }
    assert_eq!(expected.len(), 10_000);
    setup
        .wait_for_all("/shared", &expected, Duration::from_secs(300))
        .await;
    // Anything sent twice would arrive within a lease; wait that long before counting.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (arrivals, per_node) = setup.arrivals("/shared");
    assert_eq!(arrivals.len(), 10_000);
    let twice: Vec<_> = arrivals.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "arrived more than once: {twice:?}");
    for node in ["node-a", "node-b"] {
        let done = per_node.get(node).copied().unwrap_or(0);
        assert!(done > 0, "{node} delivered nothing: {per_node:?}");
    }
    crate::binary::terminate(&mut first).await;
    crate::binary::terminate(&mut second).await;
}
