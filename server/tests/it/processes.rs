//! The delivery engine in real `herald` processes: a process killed with
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
    binary::{herald_admin_and_key, spawn_herald_with},
    delivery_support::HOOKS,
    process::{listening_address, sigterm, terminate, PATIENCE},
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

    /// An admin and an API key for both scopes, made with the operator commands.
    async fn key(&self) -> String {
        herald_admin_and_key(&self.database_url, &self.env).await
    }

    /// Creates the webhook `name` for `com.qlik.v1.app.created` events, delivered to the
    /// receiver's `path`, through the node at `address`.
    async fn webhook(&self, address: &str, key: &str, name: &str, path: &str) {
        let created = self
            .post(
                address,
                "/api/v1/webhooks",
                key,
                &json!({"name": name, "url": self.receiver.url(path),
                        "eventTypes": ["com.qlik.v1.app.created"]}),
            )
            .await
            .expect("create webhook");
        assert_eq!(created.status(), 201);
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
        sqlx::query_as(
            "SELECT status, status_message, COUNT(*), MAX(attempt_count) FROM deliveries \
             GROUP BY status, status_message",
        )
        .fetch_all(&mut self.connect().await)
        .await
        .expect("states")
    }

    /// A read-only look at the nodes' database.
    async fn connect(&self) -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let url = if self.database_url.starts_with("sqlite") {
            format!("{}?mode=ro", self.database_url)
        } else {
            self.database_url.clone()
        };
        sqlx::AnyConnection::connect(&url).await.expect("connect")
    }

    /// How many deliveries are claimed by a node.
    async fn leased(&self) -> i64 {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM deliveries WHERE lease_token IS NOT NULL")
                .fetch_one(&mut self.connect().await)
                .await
                .expect("count");
        count
    }

    /// Waits until a node has claimed a delivery (an attempt is in flight).
    async fn wait_until_leased(&self) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.leased().await == 0 {
            assert!(tokio::time::Instant::now() < deadline, "nothing in flight");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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

crate::on_both_databases!(
    a_killed_process_loses_no_accepted_event,
    a_stopped_process_finishes_or_gives_back_its_work
);

/// Steady load on a node: batches of 10 events until stopped or refused (at most 2,000).
struct Load {
    accepted: Arc<std::sync::Mutex<HashSet<String>>>,
    running: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    fn start(setup: &Setup, address: &str, key: &str) -> Self {
        let accepted = Arc::new(std::sync::Mutex::new(HashSet::new()));
        let running = Arc::new(AtomicBool::new(true));
        let task = tokio::spawn({
            let (accepted, running) = (accepted.clone(), running.clone());
            let (http, address, key) = (setup.http.clone(), address.to_owned(), key.to_owned());
            async move {
                let mut number = 0;
                while running.load(Ordering::SeqCst) && number < 200 {
                    let ids: Vec<String> = (0..10).map(|n| format!("e-{number}-{n}")).collect();
                    let sent = http
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
                        // A stopping node closes its connections: the load ends there.
                        Ok(response) if response.status().is_server_error() => break,
                        Ok(response) => panic!("refused: {}", response.status()),
                        Err(_) => break,
                    }
                    number += 1;
                }
            }
        });
        Self {
            accepted,
            running,
            task,
        }
    }

    /// Waits until deliveries to `path` flow while events still come in.
    async fn wait_for_flow(&self, setup: &Setup, path: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while setup.receiver.received_on(path).len() < 50
            || self.accepted.lock().expect("lock").len() < 500
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no deliveries under load"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Ends the load; the ids of the events the node accepted.
    async fn stop(self) -> HashSet<String> {
        self.running.store(false, Ordering::SeqCst);
        self.task.await.expect("load task");
        let accepted = self.accepted.lock().expect("lock").clone();
        accepted
    }
}

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
    setup.webhook(&address, &key, "crash", "/crash").await;
    // Each answer takes a moment, so attempts are in flight when the process dies.
    setup.receiver.plan(
        "/crash",
        vec![Planned::status(200).with_delay(Duration::from_millis(30))],
    );

    let load = Load::start(&setup, &address, &key);
    load.wait_for_flow(&setup, "/crash").await;
    node.start_kill().expect("SIGKILL");
    node.wait().await.expect("killed");
    let accepted = load.stop().await;
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
    terminate(&mut restarted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_deliver_each_event_exactly_once() {
    let setup = Setup::new(Engine::Postgres).await;
    let key = setup.key().await;
    let (mut first, first_address) = setup.node("node-a").await;
    let (mut second, second_address) = setup.node("node-b").await;
    setup
        .webhook(&first_address, &key, "shared", "/shared")
        .await;
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
    terminate(&mut first).await;
    terminate(&mut second).await;
}

async fn a_stopped_process_finishes_or_gives_back_its_work(engine: Engine) {
    let mut setup = Setup::new(engine).await;
    setup.env.push(("HERALD_SHUTDOWN_GRACE", "1s".to_owned()));
    let key = setup.key().await;
    let (mut node, address) = setup.node("first").await;
    setup.webhook(&address, &key, "stop", "/stop").await;
    setup.receiver.plan(
        "/stop",
        vec![Planned::status(200).with_delay(Duration::from_millis(30))],
    );
    let load = Load::start(&setup, &address, &key);
    load.wait_for_flow(&setup, "/stop").await;
    // Answers now outlast the grace period: the attempts in flight at the stop are cut off.
    setup.receiver.plan(
        "/stop",
        vec![Planned::status(200).with_delay(Duration::from_secs(5))],
    );
    // Once the quick answers are done, whatever is claimed is waiting on a slow one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    setup.wait_until_leased().await;
    let status = terminate(&mut node).await;
    let accepted = load.stop().await;
    assert!(status.success(), "a stop is a clean exit: {status:?}");
    assert_eq!(setup.leased().await, 0, "no delivery left claimed");

    setup.receiver.plan("/stop", vec![Planned::status(200)]);
    let (mut restarted, _) = setup.node("second").await;
    setup
        .wait_for_all("/stop", &accepted, Duration::from_secs(120))
        .await;
    terminate(&mut restarted).await;
}

/// A stop waits for the attempt in flight; a second SIGTERM ends the process at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_stop_signal_does_not_wait_for_the_grace_period() {
    let mut setup = Setup::new(Engine::Sqlite).await;
    setup.env.push(("HERALD_SHUTDOWN_GRACE", "60s".to_owned()));
    let key = setup.key().await;
    let (mut node, address) = setup.node("patient").await;
    setup.webhook(&address, &key, "slow", "/slow").await;
    setup.receiver.plan(
        "/slow",
        vec![Planned::status(200).with_delay(Duration::from_secs(30))],
    );
    assert!(setup.publish(&address, &key, &["e-slow".to_owned()]).await);
    setup.wait_until_leased().await;

    sigterm(&node).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        node.try_wait().expect("status").is_none(),
        "the first signal waits for the attempt"
    );
    sigterm(&node).await;
    let status = tokio::time::timeout(Duration::from_secs(5), node.wait())
        .await
        .expect("the second signal ends it at once")
        .expect("exit status");
    assert_eq!(status.code(), Some(1));
}
