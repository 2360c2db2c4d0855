//! Event ingestion on both databases: the scope, validation per index with nothing stored,
//! idempotency and conflicts, batches, the body limit, the group commit of concurrent requests
//! and matching that parses an event's data once.

use axum::{body::Body, http::Request};
use serde_json::{json, Value};

use crate::{
    delivery_support::{event, key_with_scopes, Harness},
    on_both_databases,
    support::{json_ok, Engine},
    webhooks::{answer, pointer_of},
};

on_both_databases!(
    publishing_needs_the_events_scope,
    invalid_events_are_refused_per_index_and_nothing_is_stored,
    the_same_event_twice_is_accepted_once_and_another_body_conflicts,
    a_batch_of_a_hundred_is_accepted_in_one_go,
    bodies_over_the_limit_or_of_another_type_are_refused,
    concurrent_requests_share_a_commit_and_a_conflict_fails_only_its_own,
    an_event_is_parsed_once_for_every_filter_on_its_data,
);

async fn count(h: &Harness, table: &str) -> i64 {
    let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(h.app.state.db.pool())
        .await
        .expect("count");
    count
}

async fn publishing_needs_the_events_scope(engine: Engine) {
    let h = Harness::start(engine).await;
    h.webhook("/scoped", json!({})).await;
    let webhooks_only = key_with_scopes(&h.app, &h.session, &h.admin_id, &["webhooks"]).await;
    let response = h
        .publish_as(
            &webhooks_only,
            "application/json",
            &event("e-1").to_string(),
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = h
        .app
        .send(
            Request::post("/api/v1/events")
                .header("content-type", "application/json")
                .body(Body::from(event("e-1").to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), 401);
    // A publish-only key cannot read webhooks.
    let publisher = key_with_scopes(&h.app, &h.session, &h.admin_id, &["events:publish"]).await;
    let response = h.app.api_get("/api/v1/webhooks", Some(&publisher)).await;
    assert_eq!(response.status(), 403);
    assert_eq!(count(&h, "events").await, 0);
}

async fn invalid_events_are_refused_per_index_and_nothing_is_stored(engine: Engine) {
    let h = Harness::start(engine).await;
    h.webhook("/strict", json!({})).await;
    let mut unknown_type = event("e-2");
    unknown_type["type"] = json!("com.example.unknown");
    let mut no_id = event("e-3");
    no_id.as_object_mut().expect("object").remove("id");
    let batch = json!([event("e-1"), unknown_type.clone(), no_id]);
    let (status, body) = answer(h.publish_text(&batch.to_string()).await).await;
    assert_eq!(status, 400, "{body}");
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["source"]["pointer"].as_str().expect("pointer"))
        .collect();
    // Shape problems are found first; the type is checked once every event is well formed.
    assert_eq!(pointers, ["/2/id"]);
    let (status, body) = answer(
        h.publish_text(&json!([event("e-1"), unknown_type]).to_string())
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(pointer_of(&body), "/1/type");
    let mut bad_single = event("e-4");
    bad_single["specversion"] = json!("0.3");
    let (status, body) = answer(h.publish_text(&bad_single.to_string()).await).await;
    assert_eq!(status, 400);
    assert_eq!(pointer_of(&body), "/specversion");
    for text in ["", "{", "[]", "\"event\""] {
        let (status, _) = answer(h.publish_text(text).await).await;
        assert_eq!(status, 400, "{text:?}");
    }
    assert_eq!(count(&h, "events").await, 0);
    assert_eq!(count(&h, "deliveries").await, 0);
    assert!(h.receiver.received().is_empty());
}

async fn the_same_event_twice_is_accepted_once_and_another_body_conflicts(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/once", json!({})).await;
    assert_eq!(h.publish(event("e-1")).await, 1);
    // The same event again, tenantid and member order aside: accepted, nothing new.
    let mut again = event("e-1");
    again["tenantid"] = json!("whatever");
    assert_eq!(h.publish(again).await, 0);
    // Within one batch too.
    let accepted = json_ok(
        h.publish_text(&json!([event("e-2"), event("e-2")]).to_string())
            .await,
    )
    .await;
    assert_eq!(
        accepted["data"],
        json!([{"id": "e-2", "deliveries": 1}, {"id": "e-2", "deliveries": 0}])
    );
    // The same key with another body: 409, and nothing of the request is stored.
    let mut changed = event("e-1");
    changed["data"] = json!({"id": "changed"});
    let (status, body) = answer(
        h.publish_text(&json!([event("e-3"), changed]).to_string())
            .await,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    // Another source is another event.
    let mut elsewhere = event("e-1");
    elsewhere["source"] = json!("/other");
    assert_eq!(h.publish(elsewhere).await, 1);
    h.settle_at(&hook, 3, "success", 1).await;
    assert_eq!(count(&h, "events").await, 3);
}

async fn a_batch_of_a_hundred_is_accepted_in_one_go(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/batch", json!({})).await;
    let batch: Vec<Value> = (0..100).map(|n| event(&format!("b-{n}"))).collect();
    let accepted = json_ok(h.publish_text(&Value::Array(batch).to_string()).await).await;
    let data = accepted["data"].as_array().expect("data");
    assert_eq!(data.len(), 100);
    assert!(data.iter().all(|item| item["deliveries"] == 1));
    assert_eq!(data[42]["id"], "b-42");
    h.settle_at(&hook, 100, "success", 1).await;
    assert_eq!(h.receiver.received_on("/batch").len(), 100);
    let too_many: Vec<Value> = (0..101).map(|n| event(&format!("c-{n}"))).collect();
    let (status, _) = answer(h.publish_text(&Value::Array(too_many).to_string()).await).await;
    assert_eq!(status, 400);
}

async fn bodies_over_the_limit_or_of_another_type_are_refused(engine: Engine) {
    let h = Harness::start(engine).await;
    let mut big = event("big");
    big["data"] = json!({"text": "x".repeat(1024 * 1024)});
    let (status, body) = answer(h.publish_text(&big.to_string()).await).await;
    assert_eq!(status, 413, "{body}");
    let mut fits = event("fits");
    fits["data"] = json!({"text": "x".repeat(1000 * 1024)});
    let (status, body) = answer(h.publish_text(&fits.to_string()).await).await;
    assert_eq!(status, 202, "{body}");
    let response = h
        .app
        .send(
            Request::post("/api/v1/events")
                .header("authorization", format!("Bearer {}", h.key))
                .header("content-type", "text/plain")
                .body(Body::from(event("e-1").to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), 415);
}

/// Holds the database's write lock for events (SQLite: the one writer's lock; PostgreSQL: an
/// exclusive lock on `events`) until the returned transaction ends.
async fn block_event_writes(h: &Harness) -> server::db::Tx {
    let db = &h.app.state.db;
    let mut tx = db.begin().await.expect("begin");
    if db.backend() == server::db::Backend::Postgres {
        sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await
            .expect("lock");
    }
    tx
}

/// A counter of `/metrics`.
async fn counter(h: &Harness, name: &str) -> f64 {
    let text = crate::support::body_text(h.app.api_get("/metrics", None).await).await;
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

async fn concurrent_requests_share_a_commit_and_a_conflict_fails_only_its_own(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/together", json!({})).await;
    assert_eq!(h.publish(event("taken")).await, 1);
    let commits_before = counter(&h, "herald_ingest_commits_total").await;

    // While the first request's transaction waits for the lock, the others queue behind it.
    let blocker = block_event_writes(&h).await;
    let mut conflicting = event("taken");
    conflicting["data"] = json!({"id": "another body"});
    let bodies: Vec<Value> = (0..19)
        .map(|n| event(&format!("new-{n}")))
        .chain([conflicting])
        .collect();
    let requests = futures_util::future::join_all(
        bodies
            .iter()
            .map(|body| async { answer(h.publish_text(&body.to_string()).await).await }),
    );
    let release = async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        blocker.rollback().await.expect("release");
    };
    let (answers, ()) = tokio::join!(requests, release);

    for (n, (status, body)) in answers[..19].iter().enumerate() {
        assert_eq!(*status, 202, "{body}");
        assert_eq!(
            body["data"],
            json!([{"id": format!("new-{n}"), "deliveries": 1}])
        );
    }
    let (status, body) = &answers[19];
    assert_eq!(*status, 409, "{body}");
    let commits = counter(&h, "herald_ingest_commits_total").await - commits_before;
    assert!(
        (1.0..=3.0).contains(&commits),
        "20 requests arriving together took {commits} transactions"
    );
    h.settle_at(&hook, 20, "success", 1).await;
    assert_eq!(count(&h, "events").await, 20);
    assert_eq!(h.receiver.received_on("/together").len(), 20);
}

async fn an_event_is_parsed_once_for_every_filter_on_its_data(engine: Engine) {
    let h = Harness::start(engine).await;
    let terms: Vec<String> = (0..80)
        .map(|n| format!(r#"data.status eq "s{n}""#))
        .collect();
    let filter = terms.join(" or ");
    for n in 0..10 {
        h.webhook(
            &format!("/filtered-{n}"),
            json!({"eventTypes": ["com.qlik.v1.app.reload.finished"], "filter": filter}),
        )
        .await;
    }
    h.webhook("/unfiltered", json!({})).await;
    let parsed = || counter(&h, "herald_event_data_parsed_total");
    let before = parsed().await;

    let mut reloaded = event("r-1");
    reloaded["type"] = json!("com.qlik.v1.app.reload.finished");
    reloaded["data"] = json!({"status": "s79", "log": "x".repeat(100_000)});
    assert_eq!(h.publish(reloaded.clone()).await, 10);
    assert_eq!(
        parsed().await - before,
        1.0,
        "one parse for 10 filters of 80 terms"
    );

    reloaded["id"] = json!("r-2");
    reloaded["data"]["status"] = json!("s80");
    assert_eq!(h.publish(reloaded).await, 0);
    assert_eq!(parsed().await - before, 2.0);

    // No filter asks for data.status: data is not parsed.
    assert_eq!(h.publish(event("c-1")).await, 1);
    assert_eq!(parsed().await - before, 2.0);
}
