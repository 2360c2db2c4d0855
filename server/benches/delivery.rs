//! The delivery benchmark: the real `herald` binary (release build, default
//! durability: SQLite WAL with `synchronous = FULL`, PostgreSQL defaults) ingesting events over
//! HTTP and delivering them to the local HTTPS test receiver, on SQLite and on PostgreSQL.
//!
//! Run it with `scripts/bench`, which starts a throw-away PostgreSQL (or set
//! `HERALD_TEST_POSTGRES_URL` and run `cargo bench -p server --bench delivery`). Without a
//! PostgreSQL URL only SQLite is measured. It prints, per database, fan-out (1, 10) and
//! receiver latency (0, 50 ms):
//!
//! - accepted/s: single-event `POST /api/v1/events` requests, 16 at a time;
//! - delivered/s: deliveries completed end to end (first request to last arrival);
//! - CPU: the herald process's CPU time (user + system) per delivery in that run;
//! - the stage profile of that run: the mean time a request or delivery spent in each stage of
//!   `herald_delivery_stage_seconds` (ingestion request, waiting for the group commit, the
//!   commit, queued until its attempt, preparing, the HTTPS exchange, recording);
//! - p50/p99/max: accepted (202 received) → arrived at the receiver, with 1,000 events/s
//!   offered for 5 s;
//! - fairness: tenant B publishing 500 events/s for 10 s to a healthy endpoint, alone and then
//!   beside tenant A, whose 50 webhooks point at an endpoint that accepts requests and never
//!   answers, with 2,000 deliveries due: B's p50/p99 and delivered/s in both runs;
//! - the herald process's resident memory with a dead endpoint's backlog of 1,000 and then of
//!   100,000 due deliveries;
//! - and the herald process's peak RSS.

use std::{
    collections::HashMap,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use serde_json::{json, Value};
use server::metrics::Stage;
use test_receiver::{Planned, Receiver};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command},
    sync::Semaphore,
};

const HOST: &str = "bench.herald.test";
const MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
/// Events per throughput run.
const THROUGHPUT_EVENTS: usize = 2_000;
/// Publishing requests in flight at once in a throughput run.
const PUBLISHERS: usize = 16;
/// Offered rate and duration of a latency run.
const OFFERED_PER_SECOND: u64 = 1_000;
const OFFERED_SECONDS: u64 = 5;
/// The fairness run: tenant B's offered rate and duration, tenant A's hanging webhooks and
/// the deliveries they have due.
const FAIR_PER_SECOND: u64 = 500;
const FAIR_SECONDS: u64 = 10;
const HANGING_WEBHOOKS: usize = 50;
const HANGING_DUE: usize = 2_000;
/// An endpoint that accepts requests and never answers (within the benchmark).
const HANG: Duration = Duration::from_secs(3600);
/// The event's `data`: about 1 KiB.
fn payload(id: &str) -> Value {
    json!({"id": id, "text": "x".repeat(1000)})
}

struct Herald {
    child: Child,
    address: String,
    env: Vec<(&'static str, String)>,
    database_url: String,
}

impl Herald {
    async fn start(database_url: &str, ca_file: &str) -> Self {
        let env = vec![
            ("HERALD_MASTER_KEY", MASTER_KEY.to_owned()),
            ("HERALD_DELIVERY_HOSTS", format!("{HOST}=127.0.0.1")),
            ("HERALD_DELIVERY_ALLOW", "127.0.0.1/32".to_owned()),
            ("HERALD_EXTRA_CA_CERTIFICATES", ca_file.to_owned()),
            ("HERALD_API_WRITES_PER_MINUTE", "1000000".to_owned()),
            ("HERALD_API_READS_PER_MINUTE", "1000000".to_owned()),
            ("HERALD_WEBHOOKS_PER_TENANT", "1000".to_owned()),
            ("HERALD_WEBHOOKS_PER_OWNER", "1000".to_owned()),
        ];
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .env("HERALD_LISTEN", "127.0.0.1:0")
            .env("HERALD_DATABASE_URL", database_url)
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start herald");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let address = loop {
            let line = lines
                .next_line()
                .await
                .expect("log")
                .expect("herald exited before listening");
            if let Some((_, address)) = line.split_once("listening on http://") {
                break address.trim().to_owned();
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            address,
            env,
            database_url: database_url.to_owned(),
        }
    }

    async fn command(&self, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(args)
            .env("HERALD_DATABASE_URL", &self.database_url)
            .envs(self.env.iter().map(|(name, value)| (*name, value.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("herald command");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).await.expect("stdin");
        drop(input);
        let output = child.wait_with_output().await.expect("output");
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A TenantAdmin `email` (in `tenant`, when there are several) and an API key of theirs
    /// for both scopes.
    async fn key(&self, email: &str, tenant: Option<&str>) -> String {
        let mut admin = vec![
            "admin",
            "create",
            "--email",
            email,
            "--name",
            "Bench",
            "--password-stdin",
        ];
        if let Some(tenant) = tenant {
            admin.extend(["--tenant", tenant]);
        }
        self.command(&admin, "a long benchmark passphrase\n").await;
        let printed = self
            .command(
                &[
                    "api-key",
                    "create",
                    "--email",
                    email,
                    "--name",
                    "bench",
                    "--scopes",
                    "webhooks,events:publish",
                ],
                "",
            )
            .await;
        printed
            .lines()
            .find(|line| line.starts_with("herald_"))
            .expect("key printed")
            .to_owned()
    }

    /// A new tenant's id.
    async fn tenant(&self, name: &str) -> String {
        let printed = self
            .command(&["tenant", "create", "--name", name], "")
            .await;
        printed
            .lines()
            .find_map(|line| line.strip_prefix("Created tenant "))
            .and_then(|rest| rest.strip_suffix('.'))
            .expect("tenant id printed")
            .to_owned()
    }

    /// The CPU time (user + system) the process has used so far.
    fn cpu_time(&self) -> Duration {
        let pid = self.child.id().expect("running");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime and stime are the 12th
        // and 13th, in clock ticks of 1/100 s.
        let fields: Vec<u64> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default()
            .split_whitespace()
            .map(|field| field.parse().unwrap_or(0))
            .collect();
        let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
        Duration::from_millis(ticks * 10)
    }

    /// The process's peak resident set size, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        self.memory_mib("VmHWM:")
    }

    /// The process's resident set size now, in MiB.
    fn rss_mib(&self) -> f64 {
        self.memory_mib("VmRSS:")
    }

    /// The figure `field` of the process's `/proc/PID/status`, in MiB.
    fn memory_mib(&self, field: &str) -> f64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| {
                value
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(f64::NAN, |kib| kib / 1024.0)
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Client {
    /// A client of `herald` without a key yet.
    fn new(herald: &Herald) -> Self {
        Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(PUBLISHERS)
                .build()
                .expect("client"),
            base: format!("http://{}", herald.address),
            key: String::new(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    /// The sum and count of each stage of `herald_delivery_stage_seconds` so far.
    async fn stages(&self) -> HashMap<String, (f64, f64)> {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        let mut stages: HashMap<String, (f64, f64)> = HashMap::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("herald_delivery_stage_seconds_") else {
                continue;
            };
            let Some((kind, rest)) = rest.split_once("{stage=\"") else {
                continue;
            };
            let Some((stage, value)) = rest.split_once("\"} ") else {
                continue;
            };
            let value: f64 = value.trim().parse().unwrap_or(0.0);
            let entry = stages.entry(stage.to_owned()).or_default();
            match kind {
                "sum" => entry.0 = value,
                "count" => entry.1 = value,
                _ => {}
            }
        }
        stages
    }

    /// A new event type `com.example.bench.{name}` and `fan_out` webhooks subscribed to it,
    /// delivering to `path` on the receiver; the type.
    async fn subscribe(
        &self,
        receiver: &Receiver,
        name: &str,
        fan_out: usize,
        path: &str,
    ) -> String {
        let event_type = format!("com.example.bench.{name}");
        let created = self
            .send(
                reqwest::Method::POST,
                "/api/v1/webhooks/event-types",
                &json!({"name": event_type, "title": name, "description": "benchmark",
                        "levels": ["tenant"], "category": "Bench", "exampleData": {}}),
            )
            .await;
        assert!(
            created.status().is_success(),
            "event type: {}",
            created.status()
        );
        for n in 0..fan_out {
            let response = self
                .send(
                    reqwest::Method::POST,
                    "/api/v1/webhooks",
                    &json!({"name": format!("{name} {n}"), "url": format!("https://{HOST}:{}{path}", receiver.port()),
                            "eventTypes": [event_type]}),
                )
                .await;
            assert_eq!(response.status(), 201);
        }
        event_type
    }

    /// Publishes `count` events of `event_type` in batches of 100, `PUBLISHERS` requests at a
    /// time.
    async fn publish_batches(self: &Arc<Self>, event_type: &str, prefix: &str, count: usize) {
        let permits = Arc::new(Semaphore::new(PUBLISHERS));
        let mut tasks = Vec::new();
        for start in (0..count).step_by(100) {
            let permit = permits.clone().acquire_owned().await.expect("permit");
            let batch: Vec<Value> = (start..(start + 100).min(count))
                .map(|n| {
                    let id = format!("{prefix}-{n}");
                    json!({"specversion": "1.0", "id": id, "source": "/bench",
                           "type": event_type, "data": payload(&id)})
                })
                .collect();
            let client = self.clone();
            tasks.push(tokio::spawn(async move {
                let response = client
                    .send(
                        reqwest::Method::POST,
                        "/api/v1/events",
                        &Value::Array(batch),
                    )
                    .await;
                drop(permit);
                assert_eq!(response.status(), 202, "a batch was refused");
            }));
        }
        for task in tasks {
            task.await.expect("publisher");
        }
    }

    /// Publishes one event of `event_type`; when it was accepted, or `None` when Herald
    /// refused it (an overloaded database answers 503).
    async fn publish(&self, id: &str, event_type: &str) -> Option<SystemTime> {
        let response = self
            .send(
                reqwest::Method::POST,
                "/api/v1/events",
                &json!({"specversion": "1.0", "id": id, "source": "/bench",
                        "type": event_type, "data": payload(id)}),
            )
            .await;
        (response.status() == 202).then(SystemTime::now)
    }
}

/// One scenario's figures.
struct Figures {
    /// Events refused (not 202) in the throughput and the latency run.
    refused: usize,
    accepted_per_second: f64,
    delivered_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// The herald process's CPU time per delivery in the throughput run, in ms.
    cpu_ms_per_delivery: f64,
    /// Each stage's mean in the throughput run, in ms, and how many it counted.
    stages: Vec<(&'static str, f64, f64)>,
}

async fn wait_for(receiver: &Receiver, path: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while receiver.received_on(path).len() < count {
        assert!(Instant::now() < deadline, "{path}: deliveries stalled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs one scenario: `fan_out` webhooks on a path answering after `latency`.
async fn scenario(
    herald: &Herald,
    client: &Arc<Client>,
    receiver: &Receiver,
    name: &str,
    fan_out: usize,
    latency: Duration,
) -> Figures {
    // A type of its own, so earlier scenarios' webhooks take no part.
    let path = format!("/{name}");
    receiver.plan(&path, vec![Planned::status(200).with_delay(latency)]);
    let event_type = client.subscribe(receiver, name, fan_out, &path).await;

    // Throughput: as fast as the publishers go.
    let stages_before = client.stages().await;
    let cpu_before = herald.cpu_time();
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(PUBLISHERS));
    let mut tasks = Vec::new();
    for n in 0..THROUGHPUT_EVENTS {
        let permit = permits.clone().acquire_owned().await.expect("permit");
        let (client, event_type) = (client.clone(), event_type.clone());
        tasks.push(tokio::spawn(async move {
            let accepted = client
                .publish(&format!("{event_type}-t-{n}"), &event_type)
                .await;
            drop(permit);
            accepted.is_some()
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        accepted += usize::from(task.await.expect("publisher"));
    }
    let ingest = started.elapsed();
    let mut refused = THROUGHPUT_EVENTS - accepted;
    wait_for(receiver, &path, accepted * fan_out).await;
    let end_to_end = started.elapsed();
    let cpu = herald.cpu_time().saturating_sub(cpu_before);
    let stages_after = client.stages().await;
    let stages = Stage::ALL
        .iter()
        .map(|stage| {
            let stage = stage.label();
            let (sum, count) = stages_after.get(stage).copied().unwrap_or_default();
            let (sum_before, count_before) = stages_before.get(stage).copied().unwrap_or_default();
            let count = count - count_before;
            let mean_ms = if count > 0.0 {
                (sum - sum_before) / count * 1000.0
            } else {
                f64::NAN
            };
            (stage, mean_ms, count)
        })
        .collect();
    receiver.clear();

    // Latency: 1,000 events/s offered, each one's accepted → arrived.
    let offered = offer(
        client,
        receiver,
        Load {
            path: &path,
            event_type: &event_type,
            run: "latency",
            fan_out,
            per_second: OFFERED_PER_SECOND,
            seconds: OFFERED_SECONDS,
        },
    )
    .await;
    refused += offered.refused;
    Figures {
        refused,
        accepted_per_second: accepted as f64 / ingest.as_secs_f64(),
        delivered_per_second: (accepted * fan_out) as f64 / end_to_end.as_secs_f64(),
        p50_ms: offered.at(0.5),
        p99_ms: offered.at(0.99),
        max_ms: offered.at(1.0),
        cpu_ms_per_delivery: cpu.as_secs_f64() * 1000.0 / (accepted * fan_out).max(1) as f64,
        stages,
    }
}

/// What an offered load came to.
struct Offered {
    /// Accepted → arrived, in ms, sorted.
    latencies: Vec<f64>,
    refused: usize,
    delivered_per_second: f64,
}

impl Offered {
    fn at(&self, quantile: f64) -> f64 {
        let last = self.latencies.len().saturating_sub(1) as f64;
        self.latencies
            .get((last * quantile).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// A steady load: `per_second` events of `event_type` for `seconds`, one request each, with
/// ids named after `run` (so no run repeats another's events), each delivered `fan_out` times
/// at `path`.
struct Load<'a> {
    path: &'a str,
    event_type: &'a str,
    run: &'a str,
    fan_out: usize,
    per_second: u64,
    seconds: u64,
}

/// Offers `load` and waits for its deliveries.
async fn offer(client: &Arc<Client>, receiver: &Receiver, load: Load<'_>) -> Offered {
    let Load {
        path,
        event_type,
        run,
        fan_out,
        per_second,
        seconds,
    } = load;
    let started = Instant::now();
    let total = (per_second * seconds) as usize;
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / per_second));
    let mut tasks = Vec::new();
    for n in 0..total {
        ticker.tick().await;
        let (client, event_type, id) = (
            client.clone(),
            event_type.to_owned(),
            format!("{event_type}-{run}-{n}"),
        );
        tasks.push(tokio::spawn(async move {
            let accepted = client.publish(&id, &event_type).await;
            (id, accepted)
        }));
    }
    let mut accepted_at = HashMap::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("publisher") {
            (id, Some(at)) => {
                accepted_at.insert(id, at);
            }
            (_, None) => refused += 1,
        }
    }
    wait_for(receiver, path, accepted_at.len() * fan_out).await;
    let delivered_per_second =
        (accepted_at.len() * fan_out) as f64 / started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = receiver
        .received_on(path)
        .iter()
        .filter_map(|request| {
            let body: Value = serde_json::from_str(&request.body).ok()?;
            let accepted = accepted_at.get(body["eventId"].as_str()?)?;
            // An arrival may precede the publisher seeing its 202; that counts as 0.
            Some(
                request
                    .received_at
                    .duration_since(*accepted)
                    .unwrap_or_default()
                    .as_secs_f64()
                    * 1000.0,
            )
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    receiver.clear();
    Offered {
        latencies,
        refused,
        delivered_per_second,
    }
}

/// Tenant B's steady load to a healthy endpoint, alone and then beside tenant A, whose
/// webhooks all hang with deliveries due.
async fn fairness(label: &str, herald: &Herald, a: &Arc<Client>, receiver: &Receiver) {
    let tenant = herald.tenant("Bench B").await;
    let b = Arc::new(Client {
        key: herald.key("b@example.com", Some(&tenant)).await,
        ..Client::new(herald)
    });
    let prefix = label.to_lowercase();
    receiver.plan("/fair", vec![Planned::status(200)]);
    let healthy = b
        .subscribe(receiver, &format!("{prefix}fair"), 1, "/fair")
        .await;
    let alone = offer(
        &b,
        receiver,
        Load {
            path: "/fair",
            event_type: &healthy,
            run: "alone",
            fan_out: 1,
            per_second: FAIR_PER_SECOND,
            seconds: FAIR_SECONDS,
        },
    )
    .await;

    receiver.plan("/hang", vec![Planned::status(200).with_delay(HANG)]);
    let hanging = a
        .subscribe(
            receiver,
            &format!("{prefix}hang"),
            HANGING_WEBHOOKS,
            "/hang",
        )
        .await;
    a.publish_batches(
        &hanging,
        &format!("{prefix}hang"),
        HANGING_DUE / HANGING_WEBHOOKS,
    )
    .await;
    let beside = offer(
        &b,
        receiver,
        Load {
            path: "/fair",
            event_type: &healthy,
            run: "beside",
            fan_out: 1,
            per_second: FAIR_PER_SECOND,
            seconds: FAIR_SECONDS,
        },
    )
    .await;
    for (run, offered) in [("alone", &alone), ("beside A", &beside)] {
        println!(
            "{label:<10} fairness: B {run:<8} | {FAIR_PER_SECOND}/s offered, delivered {:>5.0}/s | p50 {:>7.1} ms  p99 {:>7.1} ms | refused {}",
            offered.delivered_per_second,
            offered.at(0.5),
            offered.at(0.99),
            offered.refused
        );
    }
}

/// The herald process's memory with a dead endpoint's backlog of 1,000, then of 100,000.
async fn backlog(label: &str, herald: &Herald, client: &Arc<Client>, receiver: &Receiver) {
    let prefix = label.to_lowercase();
    receiver.plan("/dead", vec![Planned::status(200).with_delay(HANG)]);
    let dead = client
        .subscribe(receiver, &format!("{prefix}dead"), 1, "/dead")
        .await;
    let mut published = 0;
    for total in [1_000, 100_000] {
        client
            .publish_batches(
                &dead,
                &format!("{prefix}dead-{published}"),
                total - published,
            )
            .await;
        published = total;
        // Let the claims and attempts settle into their steady state.
        tokio::time::sleep(Duration::from_secs(5)).await;
        println!(
            "{label:<10} dead endpoint with {total:>6} deliveries due: RSS {:.1} MiB",
            herald.rss_mib()
        );
    }
}

async fn run_database(label: &str, database_url: &str, receiver: &Receiver, ca_file: &str) {
    let herald = Herald::start(database_url, ca_file).await;
    let client = Arc::new(Client {
        key: herald.key("bench@example.com", None).await,
        ..Client::new(&herald)
    });
    for (fan_out, latency_ms) in [(1, 0), (10, 0), (1, 50), (10, 50)] {
        let name = format!("{}f{fan_out}l{latency_ms}", label.to_lowercase());
        let figures = scenario(
            &herald,
            &client,
            receiver,
            &name,
            fan_out,
            Duration::from_millis(latency_ms),
        )
        .await;
        println!(
            "{label:<10} fan-out {fan_out:>2}  latency {latency_ms:>2} ms | accepted {:>7.0}/s | delivered {:>7.0}/s | CPU {:.3} ms/delivery | p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms | refused {}",
            figures.accepted_per_second,
            figures.delivered_per_second,
            figures.cpu_ms_per_delivery,
            figures.p50_ms,
            figures.p99_ms,
            figures.max_ms,
            figures.refused
        );
        let profile: Vec<String> = figures
            .stages
            .iter()
            .map(|(stage, mean_ms, count)| format!("{stage} {mean_ms:.2} ms (×{count})"))
            .collect();
        println!("{:<10}   stage means: {}", "", profile.join(", "));
    }
    println!(
        "{label:<10} peak RSS of the herald process: {:.1} MiB",
        herald.peak_rss_mib()
    );
    fairness(label, &herald, &client, receiver).await;
    backlog(label, &herald, &client, receiver).await;
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let receiver = Receiver::start(&[HOST], 0).await.expect("receiver");
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, receiver.ca_pem()).expect("CA file");
    let ca_file = ca_file.display().to_string();
    println!(
        "Herald delivery benchmark: {THROUGHPUT_EVENTS} events per throughput run ({PUBLISHERS} \
         publishers), latency at {OFFERED_PER_SECOND} events/s offered for {OFFERED_SECONDS} s, \
         1 KiB payload, default durability; {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    run_database("SQLite", &sqlite, &receiver, &ca_file).await;
    match std::env::var("HERALD_TEST_POSTGRES_URL") {
        Ok(server) => {
            let name = format!("herald_bench_{}", std::process::id());
            let admin = format!("{server}/postgres");
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create database");
            run_database(
                "PostgreSQL",
                &format!("{server}/{name}"),
                &receiver,
                &ca_file,
            )
            .await;
            sqlx::Executor::execute(
                &mut conn,
                format!("DROP DATABASE {name} WITH (FORCE)").as_str(),
            )
            .await
            .expect("drop database");
        }
        Err(_) => println!(
            "PostgreSQL skipped: HERALD_TEST_POSTGRES_URL is not set (scripts/bench sets it)"
        ),
    }
}
