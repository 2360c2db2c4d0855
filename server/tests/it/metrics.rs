//! `/metrics`, read with a Prometheus text-format parser: every family is there
//! from the start, counters move with accepted events and recorded attempts, the gauges follow
//! the queue and disabled webhooks, and no label names a tenant, URL or user. Without the
//! database a scrape is refused rather than answered with made-up queue figures.

use std::time::Duration;

use axum::http::StatusCode;
use prometheus_parse::{Scrape, Value as Sampled};
use serde_json::json;
use test_receiver::Planned;

use crate::{
    delivery_support::{event, Harness},
    on_both_databases,
    support::{body_text, Engine, TestApp},
};

on_both_databases!(
    counters_and_gauges_follow_the_work,
    a_scrape_without_the_database_is_503
);

/// The labels a metric may carry; none identifies a tenant, webhook, URL or user.
const LABELS: [&str; 6] = ["outcome", "reason", "state", "stage", "source", "le"];

/// How many observations the stage histogram `stage` holds.
fn stage_count(scrape: &Scrape, stage: &str) -> f64 {
    value(
        scrape,
        "herald_delivery_stage_seconds_count",
        &[("stage", stage)],
    )
}

async fn scrape(h: &Harness) -> (Scrape, String) {
    let response = h.app.api_get("/metrics", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4"
    );
    let text = body_text(response).await;
    let parsed = Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
        .unwrap_or_else(|error| panic!("{error}: {text}"));
    (parsed, text)
}

/// The value of the sample `name` with `labels`; a test failure when it is missing.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|sample| {
            sample.metric == name
                && labels
                    .iter()
                    .all(|(label, wanted)| sample.labels.get(label) == Some(*wanted))
        })
        .unwrap_or_else(|| panic!("no {name} {labels:?}"));
    match &sample.value {
        Sampled::Counter(value) | Sampled::Gauge(value) | Sampled::Untyped(value) => *value,
        other => panic!("{name} is {other:?}"),
    }
}

/// Scrapes until `ready` holds: an attempt is counted just after its commit, which the test
/// may see first.
async fn scrape_until(h: &Harness, ready: impl Fn(&Scrape) -> bool) -> (Scrape, String) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (scrape, text) = scrape(h).await;
        if ready(&scrape) || tokio::time::Instant::now() >= deadline {
            return (scrape, text);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn attempts(scrape: &Scrape, outcome: &str) -> f64 {
    value(
        scrape,
        "herald_delivery_attempts_total",
        &[("outcome", outcome)],
    )
}

async fn counters_and_gauges_follow_the_work(engine: Engine) {
    let mut h = Harness::start(engine).await;
    let (before, _) = scrape(&h).await;
    assert_eq!(value(&before, "herald_events_accepted_total", &[]), 0.0);
    for outcome in ["success", "retry", "fail"] {
        assert_eq!(attempts(&before, outcome), 0.0, "{outcome}");
    }
    assert_eq!(
        value(
            &before,
            "herald_delivery_attempt_duration_seconds_count",
            &[]
        ),
        0.0
    );
    for stage in server::metrics::Stage::ALL.map(server::metrics::Stage::label) {
        assert_eq!(stage_count(&before, stage), 0.0, "{stage}");
    }
    assert_eq!(value(&before, "herald_ingest_commits_total", &[]), 0.0);
    for source in ["ingestion", "database"] {
        assert_eq!(
            value(
                &before,
                "herald_deliveries_queued_total",
                &[("source", source)]
            ),
            0.0
        );
    }
    assert_eq!(value(&before, "herald_deliveries_due", &[]), 0.0);
    assert_eq!(value(&before, "herald_deliveries_in_flight", &[]), 0.0);
    for reason in [
        "endpoint-gone",
        "delivery-failure-threshold",
        "owner-deactivated",
    ] {
        assert_eq!(
            value(&before, "herald_webhooks_disabled", &[("reason", reason)]),
            0.0
        );
    }
    assert!(value(&before, "herald_database_max_connections", &[]) >= 1.0);
    // The scrape's own connection, at least.
    assert!(
        value(
            &before,
            "herald_database_connections",
            &[("state", "in_use")]
        ) >= 1.0
    );

    // Two events delivered, one retried before it got through.
    let ok = h.webhook("/ok", json!({})).await;
    h.receiver
        .plan("/ok", vec![Planned::status(503), Planned::status(200)]);
    h.publish(event("e-1")).await;
    h.settle_at(&ok, 1, "pending", 1).await;
    h.advance(Duration::from_secs(3600));
    h.settle_at(&ok, 1, "success", 2).await;
    h.publish(event("e-2")).await;
    h.settle(&ok, 2, |delivery| delivery["status"] == "success")
        .await;
    // An endpoint that answers 410 Gone: its delivery fails and its webhook is disabled.
    let gone = h
        .webhook("/gone", json!({"eventTypes": ["com.qlik.v1.app.deleted"]}))
        .await;
    h.receiver.plan("/gone", vec![Planned::status(410)]);
    let mut deleted = event("e-3");
    deleted["type"] = json!("com.qlik.v1.app.deleted");
    h.publish(deleted).await;
    h.settle_at(&gone, 1, "fail", 1).await;

    let (after, text) = scrape_until(&h, |scrape| attempts(scrape, "fail") >= 1.0).await;
    assert_eq!(value(&after, "herald_events_accepted_total", &[]), 3.0);
    assert_eq!(attempts(&after, "retry"), 1.0, "{text}");
    assert_eq!(attempts(&after, "success"), 2.0, "{text}");
    assert_eq!(attempts(&after, "fail"), 1.0, "{text}");
    assert_eq!(
        value(
            &after,
            "herald_delivery_attempt_duration_seconds_count",
            &[]
        ),
        4.0
    );
    assert_eq!(
        value(
            &after,
            "herald_webhooks_disabled",
            &[("reason", "endpoint-gone")]
        ),
        1.0
    );
    // Three publish requests, each written by the group commit; four attempts, each timed
    // through its stages (recording is counted once it is written).
    for stage in ["ingest_request", "commit_wait", "commit"] {
        assert_eq!(stage_count(&after, stage), 3.0, "{stage}: {text}");
    }
    assert_eq!(value(&after, "herald_ingest_commits_total", &[]), 3.0);
    for stage in ["queued", "prepare", "exchange"] {
        assert_eq!(stage_count(&after, stage), 4.0, "{stage}: {text}");
    }
    // Each new delivery went straight from ingestion to the workers; only the retry was
    // claimed from the database.
    let queued = |source| {
        value(
            &after,
            "herald_deliveries_queued_total",
            &[("source", source)],
        )
    };
    assert_eq!(queued("ingestion"), 3.0, "{text}");
    assert_eq!(queued("database"), 1.0, "{text}");

    // With the workers stopped, a new event waits in the queue.
    h.shut_down_workers(Duration::from_secs(5)).await;
    h.publish(event("e-4")).await;
    let (queued, text) = scrape(&h).await;
    assert_eq!(value(&queued, "herald_deliveries_due", &[]), 1.0, "{text}");
    assert_eq!(value(&queued, "herald_events_accepted_total", &[]), 4.0);

    for sample in &queued.samples {
        for (label, _) in sample.labels.iter() {
            assert!(
                LABELS.contains(&label.as_str()),
                "{} has {label}",
                sample.metric
            );
        }
    }
    for private in [h.tenant_id.as_str(), &h.receiver.url("/ok"), &ok, &gone] {
        assert!(!text.contains(private), "{private} in the metrics");
    }
}

async fn a_scrape_without_the_database_is_503(engine: Engine) {
    let app = TestApp::start(engine).await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::OK);
    app.state.db.close().await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body_text(response).await, "metrics unavailable\n");
}
