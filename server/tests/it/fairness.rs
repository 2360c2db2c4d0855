//! Fair scheduling, on both databases: a tenant whose endpoints accept requests and never
//! answer holds at most half the worker slots and does not delay another tenant's deliveries.

use std::time::Duration;

use serde_json::{json, Value};
use test_receiver::Planned;

use crate::{
    delivery_support::{event, key_with_scopes, Harness, OTHER_HOOKS},
    isolation::second_tenant,
    on_both_databases,
    support::{json_ok, Engine},
    webhooks::user_id,
};

on_both_databases!(a_tenant_whose_endpoints_hang_does_not_delay_another);

/// Longer than the test waits for anything: a request to a hanging endpoint is still under
/// way when the test ends.
const HANG: Duration = Duration::from_secs(120);

async fn a_tenant_whose_endpoints_hang_does_not_delay_another(engine: Engine) {
    let h = Harness::start_with(engine, |settings| {
        settings.workers = 8;
        settings.request_timeout = HANG + Duration::from_secs(10);
    })
    .await;
    // Tenant A: 10 webhooks whose endpoints hold every request, 30 events each.
    for n in 0..10 {
        let path = format!("/hang-{n}");
        h.receiver
            .plan(&path, vec![Planned::status(200).with_delay(HANG)]);
        h.webhook(&path, json!({})).await;
    }
    for n in 0..30 {
        h.publish(event(&format!("a-{n}"))).await;
    }

    // Tenant B: one healthy webhook, 20 events.
    let b_admin = second_tenant(&h.app).await;
    let b_admin_id = user_id(&h.app, &b_admin).await;
    let b_key = key_with_scopes(
        &h.app,
        &b_admin,
        &b_admin_id,
        &["webhooks", "events:publish"],
    )
    .await;
    let created = json_ok(
        h.app
            .api(
                "POST",
                "/api/v1/webhooks",
                &b_key,
                Some(json!({
                    "name": "healthy",
                    "url": format!("https://{OTHER_HOOKS}:{}/healthy", h.receiver.port()),
                    "eventTypes": ["com.qlik.v1.app.created"],
                })),
            )
            .await,
    )
    .await;
    let healthy = created["id"].as_str().expect("id").to_owned();
    let batch: Vec<Value> = (0..20).map(|n| event(&format!("b-{n}"))).collect();
    let response = h
        .publish_as(
            &b_key,
            "application/cloudevents-batch+json",
            &Value::Array(batch).to_string(),
        )
        .await;
    assert_eq!(response.status(), 202);

    // B's deliveries all arrive while A's requests still hang (settling waits at most 20 s).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while h.receiver.received_on("/healthy").len() < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "B's deliveries waited behind A's: {} of 20 arrived",
            h.receiver.received_on("/healthy").len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut statuses = Vec::new();
    while statuses.len() < 20 || statuses.iter().any(|status| status != "success") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not recorded: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
        let page = json_ok(
            h.app
                .api_get(
                    &format!("/api/v1/webhooks/{healthy}/deliveries"),
                    Some(&b_key),
                )
                .await,
        )
        .await;
        statuses = page["data"]
            .as_array()
            .expect("deliveries")
            .iter()
            .map(|delivery| delivery["status"].as_str().unwrap_or("").to_owned())
            .collect();
    }
    // A holds half of the 8 worker slots, no more.
    assert_eq!(h.app.state.deliveries.attempts_in_flight(), 4);
    assert!((0..10).all(|n| h.receiver.received_on(&format!("/hang-{n}")).is_empty()));
}
