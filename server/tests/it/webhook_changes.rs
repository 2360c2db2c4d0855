//! A webhook written between a delivery's claim and its attempt, on both databases: the
//! attempt waiting in memory goes to the new URL, signed with the new secret, or not at all
//! when the webhook was disabled or deleted; an attempt under way when its webhook is disabled
//! is kept in the history as it happened.

use std::time::Duration;

use serde_json::{json, Value};
use test_receiver::Planned;

use crate::{
    deliveries::{hex_hmac, leased},
    delivery_support::{event, Harness},
    on_both_databases,
    support::Engine,
};

on_both_databases!(
    a_waiting_attempt_follows_a_new_url_and_secret,
    a_waiting_attempt_of_a_disabled_webhook_is_not_sent,
    a_waiting_attempt_of_a_deleted_webhook_is_not_sent,
    attempts_under_way_when_their_webhook_is_disabled_are_kept,
);

const NEW_SECRET: &str = "the secret set while an attempt waited";

/// A harness whose webhooks have one attempt in flight at a time, and a webhook whose endpoint
/// holds the first request for a second: a second event's attempt is claimed and waits in
/// memory behind it. The webhook's id.
async fn one_attempt_waiting(engine: Engine) -> (Harness, String) {
    let h = Harness::start_with(engine, |settings| settings.per_webhook_in_flight = 1).await;
    let hook = h.webhook("/slow", json!({})).await;
    h.receiver.plan(
        "/slow",
        vec![
            Planned::status(200).with_delay(Duration::from_secs(1)),
            Planned::status(200),
        ],
    );
    h.publish(event("first")).await;
    h.publish(event("second")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while leased(&h, &hook).await < 2 {
        assert!(tokio::time::Instant::now() < deadline, "not both claimed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        h.receiver.received_on("/slow").is_empty(),
        "the first still waits"
    );
    (h, hook)
}

fn event_ids(requests: &[test_receiver::Received]) -> Vec<String> {
    requests
        .iter()
        .map(|request| {
            let body: Value = serde_json::from_str(&request.body).expect("json");
            body["eventId"].as_str().expect("eventId").to_owned()
        })
        .collect()
}

async fn a_waiting_attempt_follows_a_new_url_and_secret(engine: Engine) {
    let (h, hook) = one_attempt_waiting(engine).await;
    h.patch(
        &hook,
        json!([
            {"op": "replace", "path": "/url", "value": h.receiver.url("/moved")},
            {"op": "add", "path": "/secret", "value": NEW_SECRET}
        ]),
    )
    .await;
    h.settle_at(&hook, 2, "success", 1).await;
    assert_eq!(event_ids(&h.receiver.received_on("/slow")), ["first"]);
    let moved = h.receiver.received_on("/moved");
    assert_eq!(event_ids(&moved), ["second"]);
    assert_eq!(
        moved[0].header("qlik-signature"),
        Some(hex_hmac(NEW_SECRET, moved[0].body.as_bytes()).as_str())
    );
}

async fn a_waiting_attempt_of_a_disabled_webhook_is_not_sent(engine: Engine) {
    let (h, hook) = one_attempt_waiting(engine).await;
    h.set_enabled(&hook, false).await;
    let settled = h
        .settle(&hook, 2, |delivery| delivery["status"] != "pending")
        .await;
    let second = settled
        .iter()
        .find(|delivery| delivery["attemptCount"] == 0)
        .expect("the waiting delivery, never attempted");
    assert_eq!(second["status"], "fail");
    assert_eq!(second["statusMessage"], "webhook disabled");
    // The first request's answer arrives after a second; nothing follows it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(event_ids(&h.receiver.received_on("/slow")), ["first"]);
}

async fn a_waiting_attempt_of_a_deleted_webhook_is_not_sent(engine: Engine) {
    let (h, hook) = one_attempt_waiting(engine).await;
    let response = h
        .call("DELETE", &format!("/api/v1/webhooks/{hook}"), None)
        .await;
    assert_eq!(response.status(), 204);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    h.app.state.deliveries.wake();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(event_ids(&h.receiver.received_on("/slow")), ["first"]);
}

async fn attempts_under_way_when_their_webhook_is_disabled_are_kept(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/gone", json!({})).await;
    // Both attempts are under way when the first 410 Gone disables the webhook.
    h.receiver.plan(
        "/gone",
        vec![Planned::status(410).with_delay(Duration::from_millis(500))],
    );
    h.publish(event("one")).await;
    h.publish(event("two")).await;
    let settled = h
        .settle(&hook, 2, |delivery| delivery["status"] == "fail")
        .await;
    for delivery in &settled {
        assert_eq!(delivery["attemptCount"], 1, "{delivery:#}");
        assert_eq!(delivery["response"]["statusCode"], 410, "{delivery:#}");
    }
    assert_eq!(h.receiver.received_on("/gone").len(), 2);
    let state = h.webhook_state(&hook).await;
    assert_eq!(state["enabled"], false);
}
