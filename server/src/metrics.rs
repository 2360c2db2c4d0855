//! `GET /metrics` in the Prometheus text format. Counters and the latency histogram
//! are this process's; the queue and webhook gauges are read from the database when scraped,
//! so every node reports the same shared figures. No label names a tenant, URL or user.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use app::webhooks::DisabledReasonCode;

use crate::{
    db::Database,
    error::{Error, Result},
    AppState,
};

/// What an attempt came to, as the `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Delivered: the delivery ended `success`.
    Success,
    /// Failed, another attempt follows.
    Retry,
    /// Failed for good: the delivery ended `fail` (410 Gone included).
    Fail,
}

impl AttemptOutcome {
    fn label(self) -> &'static str {
        match self {
            AttemptOutcome::Success => "success",
            AttemptOutcome::Retry => "retry",
            AttemptOutcome::Fail => "fail",
        }
    }
}

/// Where the workers got a delivery from, as the `source` label of
/// `herald_deliveries_queued_total` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueuedFrom {
    /// Handed over by the ingestion that created it, without a database read.
    Ingestion,
    /// Claimed from the database: a retry, another node's or a restarted node's work, or
    /// more than the workers had room for at ingestion.
    Database,
}

impl QueuedFrom {
    fn label(self) -> &'static str {
        match self {
            QueuedFrom::Ingestion => "ingestion",
            QueuedFrom::Database => "database",
        }
    }
}

/// A step on a delivery's way through this process, as the `stage` label of
/// `herald_delivery_stage_seconds` names it: where the time between a publish and a recorded
/// attempt goes (the benchmark prints their means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A whole `POST /api/v1/events` request, from its body read to its answer.
    IngestRequest,
    /// An ingestion request's wait for the group commit to take its write.
    CommitWait,
    /// The transaction that wrote it (shared by every request of its group).
    Commit,
    /// From a delivery being due (a first attempt: its event's arrival) to its attempt starting.
    Queued,
    /// Opening secrets and signing (what the attempt sends was read with its claim or handed
    /// over by ingestion).
    Prepare,
    /// The HTTP exchange with the endpoint, response body included.
    Exchange,
    /// From the end of the exchange until its result is written.
    Record,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::IngestRequest,
        Stage::CommitWait,
        Stage::Commit,
        Stage::Queued,
        Stage::Prepare,
        Stage::Exchange,
        Stage::Record,
    ];

    /// As the `stage` label says it.
    pub fn label(self) -> &'static str {
        match self {
            Stage::IngestRequest => "ingest_request",
            Stage::CommitWait => "commit_wait",
            Stage::Commit => "commit",
            Stage::Queued => "queued",
            Stage::Prepare => "prepare",
            Stage::Exchange => "exchange",
            Stage::Record => "record",
        }
    }
}

/// The process's metrics, registered in a registry of their own (tests run many apps in one
/// process).
pub struct Metrics {
    registry: Registry,
    events_accepted: IntCounter,
    event_data_parsed: IntCounter,
    ingest_commits: IntCounter,
    deliveries_queued: IntCounterVec,
    attempts: IntCounterVec,
    attempt_seconds: Histogram,
    stage_seconds: HistogramVec,
    deliveries_due: IntGauge,
    deliveries_in_flight: IntGauge,
    webhooks_disabled: IntGaugeVec,
    pool_connections: IntGaugeVec,
    pool_max_connections: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        // The definitions below are constants: only a typo in them could make these fail.
        let events_accepted = IntCounter::new(
            "herald_events_accepted_total",
            "Events accepted by the ingestion API (repeats of an accepted event included).",
        )
        .expect("valid counter");
        let event_data_parsed = IntCounter::new(
            "herald_event_data_parsed_total",
            "Accepted events whose data was parsed because a webhook filter compares data.status \
             (once per event, whatever the number of filters).",
        )
        .expect("valid counter");
        let ingest_commits = IntCounter::new(
            "herald_ingest_commits_total",
            "Transactions that wrote accepted events: requests arriving together share one.",
        )
        .expect("valid counter");
        let deliveries_queued = IntCounterVec::new(
            Opts::new(
                "herald_deliveries_queued_total",
                "Deliveries queued for this process's workers, by source: ingestion (handed over \
                 when created) or database (claimed).",
            ),
            &["source"],
        )
        .expect("valid counter");
        let attempts = IntCounterVec::new(
            Opts::new(
                "herald_delivery_attempts_total",
                "Delivery attempts recorded, by outcome: success, retry (failed, tried again) \
                 or fail (failed, the delivery ended).",
            ),
            &["outcome"],
        )
        .expect("valid counter");
        let attempt_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "herald_delivery_attempt_duration_seconds",
                "How long delivery attempts took, connection and response included.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
        )
        .expect("valid histogram");
        let stage_seconds = HistogramVec::new(
            HistogramOpts::new(
                "herald_delivery_stage_seconds",
                "Time spent in each stage from a publish to a recorded attempt: ingest_request, \
                 commit_wait, commit, queued, prepare, exchange, record.",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["stage"],
        )
        .expect("valid histogram");
        let deliveries_due = IntGauge::new(
            "herald_deliveries_due",
            "Pending deliveries whose next attempt is due, waiting for a worker (all nodes).",
        )
        .expect("valid gauge");
        let deliveries_in_flight = IntGauge::new(
            "herald_deliveries_in_flight",
            "Worker slots in use: delivery requests this process is sending right now.",
        )
        .expect("valid gauge");
        let webhooks_disabled = IntGaugeVec::new(
            Opts::new(
                "herald_webhooks_disabled",
                "Webhooks Herald disabled, by reason code (all tenants).",
            ),
            &["reason"],
        )
        .expect("valid gauge");
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "herald_database_connections",
                "This process's database connections, by state: idle or in_use.",
            ),
            &["state"],
        )
        .expect("valid gauge");
        let pool_max_connections = IntGauge::new(
            "herald_database_max_connections",
            "The most database connections this process opens.",
        )
        .expect("valid gauge");
        for collector in [
            Box::new(events_accepted.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(event_data_parsed.clone()),
            Box::new(ingest_commits.clone()),
            Box::new(deliveries_queued.clone()),
            Box::new(attempts.clone()),
            Box::new(attempt_seconds.clone()),
            Box::new(stage_seconds.clone()),
            Box::new(deliveries_due.clone()),
            Box::new(deliveries_in_flight.clone()),
            Box::new(webhooks_disabled.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_max_connections.clone()),
        ] {
            registry
                .register(collector)
                .expect("each metric registered once");
        }
        // Every outcome shows from the start, at zero, so rates work from the first scrape.
        for outcome in [
            AttemptOutcome::Success,
            AttemptOutcome::Retry,
            AttemptOutcome::Fail,
        ] {
            attempts.with_label_values(&[outcome.label()]);
        }
        for source in [QueuedFrom::Ingestion, QueuedFrom::Database] {
            deliveries_queued.with_label_values(&[source.label()]);
        }
        for stage in Stage::ALL {
            stage_seconds.with_label_values(&[stage.label()]);
        }
        Self {
            registry,
            events_accepted,
            event_data_parsed,
            ingest_commits,
            deliveries_queued,
            attempts,
            attempt_seconds,
            stage_seconds,
            deliveries_due,
            deliveries_in_flight,
            webhooks_disabled,
            pool_connections,
            pool_max_connections,
        }
    }

    /// Counts `count` accepted events.
    pub fn events_accepted(&self, count: usize) {
        self.events_accepted
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// Counts an event whose `data` was parsed for matching.
    pub fn event_data_parsed(&self) {
        self.event_data_parsed.inc();
    }

    /// Counts a transaction of the ingestion group commit.
    pub fn ingest_commit(&self) {
        self.ingest_commits.inc();
    }

    /// Counts `count` deliveries queued for the workers from `source`.
    pub fn deliveries_queued(&self, source: QueuedFrom, count: usize) {
        self.deliveries_queued
            .with_label_values(&[source.label()])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// Counts a recorded attempt that took `duration`.
    pub fn attempt(&self, outcome: AttemptOutcome, duration: std::time::Duration) {
        self.attempts.with_label_values(&[outcome.label()]).inc();
        self.attempt_seconds.observe(duration.as_secs_f64());
    }

    /// Counts `duration` spent in `stage`.
    pub fn stage(&self, stage: Stage, duration: std::time::Duration) {
        self.stage_seconds
            .with_label_values(&[stage.label()])
            .observe(duration.as_secs_f64());
    }

    /// Sets the gauges from the database and the workers, then writes every metric.
    async fn scrape(&self, db: &Database, now: i64, in_flight: usize) -> Result<String> {
        let mut conn = db.connection().await?;
        self.deliveries_due
            .set(crate::db::deliveries::count_due(&mut conn, now).await?);
        let disabled = crate::db::webhooks::count_disabled_by_reason(&mut conn).await?;
        for reason in DisabledReasonCode::ALL {
            let count = disabled
                .iter()
                .find(|(code, _)| code == reason.as_str())
                .map_or(0, |(_, count)| *count);
            self.webhooks_disabled
                .with_label_values(&[reason.as_str()])
                .set(count);
        }
        // Read while the scrape holds its connection, which counts as in use.
        let pool = db.pool();
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        let open = i64::from(pool.size());
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set((open - idle).max(0));
        self.pool_max_connections
            .set(i64::from(pool.options().get_max_connections()));
        drop(conn);
        self.deliveries_in_flight
            .set(i64::try_from(in_flight).unwrap_or(i64::MAX));

        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .map_err(|error| Error::Internal(format!("metrics: {error}")))?;
        String::from_utf8(text).map_err(|error| Error::Internal(format!("metrics: {error}")))
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let engine = &state.deliveries;
    match engine
        .metrics()
        .scrape(
            &state.db,
            crate::timestamps::to_millis(state.clock.now()),
            engine.attempts_in_flight(),
        )
        .await
    {
        Ok(text) => (
            [(header::CONTENT_TYPE, TextEncoder::new().format_type())],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "cannot gather the metrics");
            (StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable\n").into_response()
        }
    }
}
