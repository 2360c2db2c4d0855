//! The delivery engine end to end on both databases: events published through the
//! API reach a local HTTPS receiver through the real client, signed, byte for byte; retries
//! follow the schedule on a controlled clock; redirects, 410, timeouts and address refusals;
//! disabling; resend and test events; history paging; retention; isolation.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use server::delivery::DeliverySettings;
use sha2::Sha256;
use test_receiver::Planned;

use crate::{
    delivery_support::{event, key_with_scopes, Harness, OTHER_HOOKS},
    on_both_databases,
    support::{app_error, body_text, json_ok, Engine, ServerFnBody},
    webhooks::{answer, pointer_of},
};

on_both_databases!(
    events_reach_matching_webhooks_signed_in_both_formats,
    user_level_webhooks_and_filters_choose_their_events,
    failures_are_retried_on_the_schedule_until_success_or_fail,
    redirects_gone_timeouts_and_refusals_end_as_the_spec_says,
    every_non_public_range_is_refused_without_a_request,
    five_failed_deliveries_in_a_row_disable_the_webhook,
    disabling_ends_pending_deliveries_and_stops_new_ones,
    resend_sends_once_now_with_the_current_configuration,
    test_events_go_to_one_webhook_with_the_example_data,
    history_pages_filters_and_goes_with_its_webhook,
    retention_purges_deliveries_and_their_events,
    a_dead_endpoint_does_not_delay_a_healthy_one,
    a_late_writer_cannot_overwrite_the_new_lease_holder,
    the_console_reads_resends_and_tests_through_the_same_service,
    every_attempt_failing_for_the_period_disables_the_webhook,
    responses_are_kept_up_to_64_kib,
    deactivating_the_owner_ends_pending_deliveries,
    a_stop_waits_for_attempts_then_gives_back_the_leases_of_the_rest,
    the_purge_keeps_pending_deliveries,
);

const SECRET: &str = "0123456789abcdef0123456789abcdef";

pub fn hex_hmac(secret: &str, message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(message);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

async fn events_reach_matching_webhooks_signed_in_both_formats(engine: Engine) {
    let h = Harness::start(engine).await;
    let legacy = h
        .webhook(
            "/legacy",
            json!({"secret": SECRET, "headers": {"X-Team": "blue"},
                   "encryptedHeaders": {"Authorization": "Bearer s3cret"}}),
        )
        .await;
    let cloud = h
        .webhook("/cloud", json!({"enableCloudEventDelivery": true}))
        .await;
    let other_type = h
        .webhook("/other", json!({"eventTypes": ["com.qlik.v1.app.deleted"]}))
        .await;
    let disabled = h.webhook("/disabled", json!({"enabled": false})).await;

    // The data member keeps its exact text: spacing, key order, number forms.
    let text = r#"{"specversion":"1.0","id":"e-1","source":"/apps","type":"com.qlik.v1.app.created","time":"2026-01-31T12:00:00Z","userid":"u-1","spaceid":"s-1","tenantid":"forged","data":{ "b" : 1.50, "a":[ "x" ] }}"#;
    let accepted = json_ok(h.publish_text(text).await).await;
    assert_eq!(accepted, json!({"data": [{"id": "e-1", "deliveries": 2}]}));

    let legacy_body = format!(
        r#"{{"cloudEventsVersion":"0.1","source":"/apps","contentType":"application/json","eventId":"e-1","eventTime":"2026-01-31T12:00:00Z","eventTypeVersion":"1.0.0","eventType":"com.qlik.v1.app.created","extensions":{{"tenantId":"{t}","userId":"u-1","spaceId":"s-1"}},"data":{{ "b" : 1.50, "a":[ "x" ] }}}}"#,
        t = h.tenant_id
    );
    let cloud_body = format!(
        r#"{{"specversion":"1.0","id":"e-1","source":"/apps","type":"com.qlik.v1.app.created","time":"2026-01-31T12:00:00Z","datacontenttype":"application/json","tenantid":"{t}","userid":"u-1","spaceid":"s-1","data":{{ "b" : 1.50, "a":[ "x" ] }}}}"#,
        t = h.tenant_id
    );
    let got = h
        .receiver
        .wait_for("/legacy", 1, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.body, legacy_body);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("user-agent"), Some("Qlik Webhook"));
    assert_eq!(request.header("x-team"), Some("blue"));
    assert_eq!(request.header("authorization"), Some("Bearer s3cret"));
    // Qlik-Signature: hex HMAC-SHA256 of the body bytes with the secret.
    assert_eq!(
        request.header("qlik-signature"),
        Some(hex_hmac(SECRET, request.body.as_bytes()).as_str())
    );
    // Standard Webhooks, checked by the standardwebhooks crate's own signer.
    let delivery_id = request.header("webhook-id").expect("webhook-id").to_owned();
    let timestamp: i64 = request
        .header("webhook-timestamp")
        .expect("timestamp")
        .parse()
        .expect("number");
    let verifier = standardwebhooks::Webhook::new(&format!(
        "whsec_{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, SECRET)
    ))
    .expect("verifier");
    let expected = verifier
        .sign(&delivery_id, timestamp, request.body.as_bytes())
        .expect("sign");
    assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
    assert_eq!(timestamp, h.app.clock_now().unix_timestamp());

    let got = h
        .receiver
        .wait_for("/cloud", 1, Duration::from_secs(10))
        .await;
    assert_eq!(got[0].body, cloud_body);
    assert_eq!(
        got[0].header("qlik-signature"),
        None,
        "no secret, no signature"
    );
    assert_eq!(got[0].header("webhook-id"), None);

    let done = h.settle_at(&legacy, 1, "success", 1).await;
    assert_eq!(
        done[0]["id"],
        delivery_id.as_str(),
        "webhook-id is the delivery id"
    );
    let delivery = h.delivery(&legacy, &delivery_id).await;
    assert_eq!(delivery["eventId"], "e-1");
    assert_eq!(delivery["trigger"], "automatic");
    assert_eq!(delivery["request"]["url"], h.receiver.url("/legacy"));
    assert_eq!(
        delivery["request"]["body"],
        serde_json::from_str::<Value>(&legacy_body).expect("json")
    );
    assert_eq!(
        delivery["request"]["headers"]["Authorization"],
        "**OMITTED**"
    );
    assert_eq!(delivery["request"]["headers"]["X-Team"], "blue");
    assert_eq!(delivery["response"]["statusCode"], 200);
    assert_eq!(delivery["attempts"][0]["number"], 1);
    assert_eq!(delivery["attempts"][0]["statusCode"], 200);
    assert!(delivery.get("nextAttemptAt").is_none());
    // The exact bytes are shown: the raw response carries the body text unchanged.
    let raw = body_text(
        h.call(
            "GET",
            &format!("/api/v1/webhooks/{legacy}/deliveries/{delivery_id}"),
            None,
        )
        .await,
    )
    .await;
    assert!(raw.contains(&format!(r#""body":{legacy_body}"#)), "{raw}");

    h.settle_at(&cloud, 1, "success", 1).await;
    assert!(h.deliveries(&other_type, "").await.is_empty());
    assert!(h.deliveries(&disabled, "").await.is_empty());
    assert!(h.receiver.received_on("/other").is_empty());
    assert!(h.receiver.received_on("/disabled").is_empty());
}

async fn user_level_webhooks_and_filters_choose_their_events(engine: Engine) {
    let h = Harness::start(engine).await;
    let mine = h.webhook("/mine", json!({"level": "user"})).await;
    let spaced = h
        .webhook(
            "/spaced",
            json!({"filter": "spaceId eq \"s-1\" or id eq \"e-3\""}),
        )
        .await;
    let reloads = h
        .webhook(
            "/reloads",
            json!({"eventTypes": ["com.qlik.v1.app.reload.finished"],
                   "filter": "data.status eq \"error\""}),
        )
        .await;
    let mut by_owner = event("e-1");
    by_owner["ownerid"] = json!(h.admin_id);
    by_owner["spaceid"] = json!("s-1");
    assert_eq!(
        h.publish(by_owner).await,
        2,
        "owner's event, matching space"
    );
    let mut stranger = event("e-2");
    stranger["userid"] = json!("somebody-else");
    assert_eq!(
        h.publish(stranger).await,
        0,
        "another user's event, other space"
    );
    assert_eq!(h.publish(event("e-3")).await, 1, "id matches the filter");
    let mut failed = event("e-4");
    failed["type"] = json!("com.qlik.v1.app.reload.finished");
    failed["data"] = json!({"status": "error"});
    assert_eq!(h.publish(failed).await, 1);
    let mut fine = event("e-5");
    fine["type"] = json!("com.qlik.v1.app.reload.finished");
    fine["data"] = json!({"status": "ok"});
    assert_eq!(h.publish(fine).await, 0);
    h.settle_at(&mine, 1, "success", 1).await;
    h.settle_at(&spaced, 2, "success", 1).await;
    h.settle_at(&reloads, 1, "success", 1).await;
}

async fn failures_are_retried_on_the_schedule_until_success_or_fail(engine: Engine) {
    // The whole schedule, waited out step by step, spans more than the 5 days after which a
    // failing webhook is disabled; that rule is tested on its own.
    let h = Harness::start_with(engine, |settings| {
        settings.failing_period = Duration::from_secs(30 * 24 * 3600);
    })
    .await;
    let flaky = h.webhook("/flaky", json!({})).await;
    h.receiver.plan(
        "/flaky",
        vec![
            Planned::status(500).with_body("try later"),
            Planned::status(503).with_header("Retry-After", "600"),
            Planned::status(204),
        ],
    );
    assert_eq!(h.publish(event("e-1")).await, 1);
    let first = h.settle_at(&flaky, 1, "pending", 1).await;
    let start = h.app.clock_now();
    let next = time::OffsetDateTime::parse(
        first[0]["nextAttemptAt"].as_str().expect("next attempt"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    let wait = (next - start).as_seconds_f64();
    assert!((4.0..=6.0).contains(&wait), "about 5 s ±20 %: {wait}");
    assert!(first[0]["statusMessage"]
        .as_str()
        .expect("message")
        .contains("500"));
    // Not due yet: nothing happens.
    h.advance(Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.receiver.received_on("/flaky").len(), 1);
    h.advance(Duration::from_secs(4));
    let second = h.settle_at(&flaky, 1, "pending", 2).await;
    let next = time::OffsetDateTime::parse(
        second[0]["nextAttemptAt"].as_str().expect("next"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    let wait = (next - h.app.clock_now()).as_seconds_f64();
    assert!(
        (599.0..=601.0).contains(&wait),
        "Retry-After 600 s beats the 30 s step: {wait}"
    );
    h.advance(Duration::from_secs(601));
    h.settle_at(&flaky, 1, "success", 3).await;

    let dead = h
        .webhook("/dead", json!({"eventTypes": ["com.qlik.v1.app.deleted"]}))
        .await;
    h.receiver.plan("/dead", vec![Planned::status(500)]);
    let mut deleted = event("e-2");
    deleted["type"] = json!("com.qlik.v1.app.deleted");
    assert_eq!(h.publish(deleted).await, 1);
    for attempt in 1..=10 {
        let status = if attempt == 10 { "fail" } else { "pending" };
        h.settle_at(&dead, 1, status, attempt).await;
        h.advance(Duration::from_secs(15 * 3600)); // beyond 12 h + 20 %
    }
    let ended = h.deliveries(&dead, "").await;
    let message = ended[0]["statusMessage"].as_str().expect("message");
    assert!(message.contains("no attempts left after 10"), "{message}");
    let full = h
        .delivery(&dead, ended[0]["id"].as_str().expect("id"))
        .await;
    assert_eq!(full["attempts"].as_array().expect("attempts").len(), 10);
    assert_eq!(h.receiver.received_on("/dead").len(), 10);
}

async fn redirects_gone_timeouts_and_refusals_end_as_the_spec_says(engine: Engine) {
    let h = Harness::start_with(engine, |settings| {
        settings.request_timeout = Duration::from_millis(700);
        settings.hosts.insert(
            "private.herald.test".into(),
            vec!["10.0.0.7".parse().expect("address")],
        );
    })
    .await;
    let moved = h.webhook("/moved", json!({})).await;
    h.receiver.plan(
        "/moved",
        vec![Planned::status(308).with_header("Location", "https://hooks.herald.test/x")],
    );
    let gone = h.webhook("/gone", json!({})).await;
    h.receiver.plan("/gone", vec![Planned::status(410)]);
    let slow = h.webhook("/slow", json!({})).await;
    h.receiver.plan(
        "/slow",
        vec![Planned::status(200).with_delay(Duration::from_secs(3))],
    );
    let private = json_ok(
        h.call(
            "POST",
            "/api/v1/webhooks",
            Some(
                json!({"name": "private", "eventTypes": ["com.qlik.v1.app.created"],
                        "url": format!("https://private.herald.test:{}/in", h.receiver.port())}),
            ),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(h.publish(event("e-1")).await, 4);

    let done = h.settle_at(&moved, 1, "fail", 1).await;
    assert_eq!(
        done[0]["statusMessage"],
        "redirects are forbidden 308 (308 Permanent Redirect)"
    );
    assert_eq!(h.receiver.received_on("/x").len(), 0, "not followed");

    let done = h.settle_at(&gone, 1, "fail", 1).await;
    assert!(done[0]["statusMessage"]
        .as_str()
        .expect("message")
        .contains("410"));
    let webhook = h.webhook_state(&gone).await;
    assert_eq!(webhook["enabled"], false);
    assert_eq!(webhook["disabledReasonCode"], "endpoint-gone");

    let done = h.settle_at(&slow, 1, "pending", 1).await;
    let full = h.delivery(&slow, done[0]["id"].as_str().expect("id")).await;
    let error = full["attempts"][0]["error"].as_str().expect("error");
    assert!(error.contains("timeout"), "{error}");
    assert!(full.get("response").is_none(), "no response to show");

    let done = h.settle_at(&private, 1, "fail", 1).await;
    let message = done[0]["statusMessage"].as_str().expect("message");
    assert!(
        message.contains("10.0.0.7") && message.contains("private"),
        "{message}"
    );
    assert!(h.receiver.received_on("/in").is_empty());
}

async fn every_non_public_range_is_refused_without_a_request(engine: Engine) {
    let addresses = [
        "127.0.0.2",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.1.2.3",
        "198.18.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.10",
        "198.51.100.1",
        "203.0.113.9",
        "::1",
        "::",
        "fc00::1",
        "fd12::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
        "2001:db8::1",
        "ff02::1",
    ];
    let h = Harness::start_with(engine, |settings| {
        for (index, address) in addresses.iter().enumerate() {
            settings.hosts.insert(
                format!("blocked{index}.herald.test"),
                vec![address.parse().expect("address")],
            );
        }
    })
    .await;
    let mut ids = Vec::new();
    for index in 0..addresses.len() {
        let created = json_ok(
            h.call(
                "POST",
                "/api/v1/webhooks",
                Some(json!({"name": format!("blocked {index}"),
                            "eventTypes": ["com.qlik.v1.app.created"],
                            "url": format!("https://blocked{index}.herald.test:{}/in", h.receiver.port())})),
            )
            .await,
        )
        .await;
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(h.publish(event("e-1")).await as usize, addresses.len());
    for (id, address) in ids.iter().zip(addresses) {
        let done = h.settle_at(id, 1, "fail", 1).await;
        let message = done[0]["statusMessage"].as_str().expect("message");
        let shown: std::net::IpAddr = address.parse().expect("address");
        assert!(
            message.contains(&shown.to_string()) && message.contains("not a public address"),
            "{address}: {message}"
        );
    }
    assert!(h.receiver.received().is_empty());
}

async fn five_failed_deliveries_in_a_row_disable_the_webhook(engine: Engine) {
    // One attempt per delivery, so each event is one failed delivery.
    let h = Harness::start_with(engine, |settings| settings.retry_schedule.clear()).await;
    let failing = h.webhook("/failing", json!({})).await;
    h.receiver.plan("/failing", vec![Planned::status(500)]);
    // Test deliveries do not count toward the threshold.
    for _ in 0..5 {
        let (status, _) = h
            .send_test(&failing, json!({"eventType": "com.qlik.v1.app.created"}))
            .await;
        assert_eq!(status, 202);
    }
    h.settle_at(&failing, 5, "fail", 1).await;
    assert_eq!(h.webhook_state(&failing).await["enabled"], true);
    // A success starts the count over.
    for n in 0..4 {
        h.publish(event(&format!("a-{n}"))).await;
    }
    h.settle_at(&failing, 9, "fail", 1).await;
    h.receiver
        .plan("/failing", vec![Planned::status(200), Planned::status(500)]);
    h.publish(event("ok")).await;
    h.settle(&failing, 10, |d| d["status"] != "pending").await;
    for n in 0..4 {
        h.publish(event(&format!("b-{n}"))).await;
    }
    h.settle(&failing, 14, |d| d["status"] != "pending").await;
    assert_eq!(
        h.webhook_state(&failing).await["enabled"],
        true,
        "4 in a row"
    );
    // A failed resend counts: the fifth in a row.
    let last = h.deliveries(&failing, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, resent) = h.resend(&failing, &last).await;
    assert_eq!(status, 201);
    assert_eq!(resent["status"], "fail");
    let webhook = h.webhook_state(&failing).await;
    assert_eq!(webhook["enabled"], false);
    assert_eq!(webhook["disabledReasonCode"], "delivery-failure-threshold");
    assert!(webhook["disabledReason"]
        .as_str()
        .expect("reason")
        .contains('5'));
    // Enabling clears the reason and the count.
    h.set_enabled(&failing, true).await;
    let webhook = h.webhook_state(&failing).await;
    assert_eq!(webhook["disabledReasonCode"], Value::Null);
    h.publish(event("after")).await;
    h.settle(&failing, 16, |d| d["status"] != "pending").await;
    assert_eq!(h.webhook_state(&failing).await["enabled"], true);
}

async fn disabling_ends_pending_deliveries_and_stops_new_ones(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/retrying", json!({})).await;
    h.receiver.plan("/retrying", vec![Planned::status(500)]);
    h.publish(event("e-1")).await;
    h.publish(event("e-2")).await;
    h.settle_at(&hook, 2, "pending", 1).await;
    h.set_enabled(&hook, false).await;
    let ended = h.settle_at(&hook, 2, "fail", 1).await;
    assert!(ended
        .iter()
        .all(|delivery| delivery["statusMessage"] == "webhook disabled"));
    assert_eq!(h.publish(event("e-3")).await, 0);
    h.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.receiver.received_on("/retrying").len(), 2);
}

async fn resend_sends_once_now_with_the_current_configuration(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/first", json!({})).await;
    h.publish(event("e-1")).await;
    let original = h.settle_at(&hook, 1, "success", 1).await[0].clone();
    let original_id = original["id"].as_str().expect("id");
    // The webhook moves; the resend follows it and signs with the secret set since.
    h.patch(
        &hook,
        json!([
            {"op": "replace", "path": "/url", "value": h.receiver.url("/moved")},
            {"op": "add", "path": "/secret", "value": SECRET}
        ]),
    )
    .await;
    h.receiver.plan(
        "/moved",
        vec![Planned::status(502).with_body("bad gateway")],
    );
    let (status, resent) = h.resend(&hook, original_id).await;
    assert_eq!(status, 201, "201 even when it failed: {resent}");
    assert_ne!(resent["id"], original["id"]);
    assert_eq!(resent["trigger"], "manual");
    assert_eq!(resent["status"], "fail", "one attempt, no retry");
    assert_eq!(resent["attemptCount"], 1);
    assert_eq!(resent["response"]["statusCode"], 502);
    assert_eq!(resent["response"]["body"], "bad gateway");
    assert_eq!(resent["request"]["body"], original["request"]["body"]);
    let got = h.receiver.received_on("/moved");
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].header("qlik-signature"),
        Some(hex_hmac(SECRET, got[0].body.as_bytes()).as_str())
    );
    assert_eq!(h.receiver.received_on("/first").len(), 1);
    // Disabled: enable the webhook first.
    h.set_enabled(&hook, false).await;
    let (status, body) = h.resend(&hook, original_id).await;
    assert_eq!(status, 409);
    assert!(body["errors"][0]["detail"]
        .as_str()
        .expect("detail")
        .contains("enable the webhook first"));
    let (status, _) = h.resend(&hook, "no-such-delivery").await;
    assert_eq!(status, 404);
}

async fn test_events_go_to_one_webhook_with_the_example_data(engine: Engine) {
    let h = Harness::start(engine).await;
    let target = h
        .webhook(
            "/target",
            json!({"eventTypes": ["com.qlik.v1.app.created", "com.qlik.v1.user.deleted"]}),
        )
        .await;
    let bystander = h.webhook("/bystander", json!({})).await;
    let (status, queued) = h
        .send_test(&target, json!({"eventType": "com.qlik.v1.user.deleted"}))
        .await;
    assert_eq!(status, 202, "{queued}");
    let id = queued["deliveryId"].as_str().expect("delivery id");
    let done = h.settle_at(&target, 1, "success", 1).await;
    assert_eq!(done[0]["id"], id);
    assert_eq!(done[0]["trigger"], "test");
    assert_eq!(done[0]["eventType"], "com.qlik.v1.user.deleted");
    let got = h.receiver.received_on("/target");
    let body: Value = serde_json::from_str(&got[0].body).expect("json");
    assert_eq!(body["eventType"], "com.qlik.v1.user.deleted");
    assert!(body["data"]["id"].is_string(), "{body}");
    assert!(h.deliveries(&bystander, "").await.is_empty());

    for (payload, pointer) in [
        (
            json!({"eventType": "com.qlik.v1.app.deleted"}),
            "/eventType",
        ),
        (
            json!({"eventType": "com.qlik.v1.app.created", "x": 1}),
            "/x",
        ),
        (json!({}), "/eventType"),
    ] {
        let (status, body) = h.send_test(&target, payload.clone()).await;
        assert_eq!(status, 400, "{payload}");
        assert_eq!(pointer_of(&body), pointer, "{payload}");
    }
}

async fn history_pages_filters_and_goes_with_its_webhook(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/history", json!({})).await;
    h.receiver.plan(
        "/history",
        vec![
            Planned::status(200),
            Planned::status(200),
            Planned::status(500),
            Planned::status(200),
        ],
    );
    for n in 0..25 {
        h.publish(event(&format!("e-{n:02}"))).await;
        h.advance(Duration::from_millis(10));
    }
    h.settle(&hook, 25, |d| d["attemptCount"] == 1).await;
    // Walk newest first in pages of 10, then back.
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/webhooks/{hook}/deliveries?limit=10");
    let mut pages = Vec::new();
    loop {
        let page = json_ok(h.call("GET", &path, None).await).await;
        let ids: Vec<String> = page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|d| d["id"].as_str().expect("id").to_owned())
            .collect();
        pages.push((path.clone(), ids.clone()));
        seen.extend(ids);
        match page["links"]["next"]["href"].as_str() {
            Some(next) => {
                path = next
                    .trim_start_matches("http://herald.test:3000")
                    .to_owned()
            }
            None => break,
        }
    }
    assert_eq!(pages.len(), 3);
    assert_eq!(seen.len(), 25);
    let all = h.deliveries(&hook, "").await;
    let newest_first: Vec<&str> = all.iter().map(|d| d["id"].as_str().expect("id")).collect();
    assert_eq!(seen, newest_first);
    let times: Vec<&str> = all
        .iter()
        .map(|d| d["triggeredAt"].as_str().expect("time"))
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "{times:?}");
    let oldest_first = h.deliveries(&hook, "&sort=%2BtriggeredAt").await;
    assert_eq!(oldest_first.first(), all.last());

    let pending = h.deliveries(&hook, "&status=pending").await;
    assert_eq!(pending.len(), 1);
    assert!(h
        .deliveries(&hook, "&eventType=com.qlik.v1.app.deleted")
        .await
        .is_empty());
    let by_status = h.deliveries(&hook, "&sort=status").await;
    assert_eq!(by_status.last().expect("one")["status"], "success");
    for query in [
        "status=done",
        "sort=name",
        "limit=0",
        "colour=red",
        "next=bogus",
    ] {
        let (status, body) = answer(
            h.call(
                "GET",
                &format!("/api/v1/webhooks/{hook}/deliveries?{query}"),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    // Another user's key cannot see them; deleting the webhook removes them.
    let (_, other_id) = h
        .app
        .add_user(&h.session, "use@example.com", "use-webhooks")
        .await;
    let other_key = key_with_scopes(&h.app, &h.session, &other_id, &["webhooks"]).await;
    let response = h
        .app
        .api_get(
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            Some(&other_key),
        )
        .await;
    assert_eq!(response.status(), 404);
    let response = h
        .call("DELETE", &format!("/api/v1/webhooks/{hook}"), None)
        .await;
    assert_eq!(response.status(), 204);
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deliveries")
        .fetch_one(h.app.state.db.pool())
        .await
        .expect("count");
    assert_eq!(left, 0);
}

async fn retention_purges_deliveries_and_their_events(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/kept", json!({})).await;
    h.publish(event("old")).await;
    h.settle_at(&hook, 1, "success", 1).await;
    // An event that matched nothing is kept for the period too (a repeat is recognised).
    let mut unmatched = event("unmatched");
    unmatched["type"] = json!("com.qlik.v1.app.deleted");
    assert_eq!(h.publish(unmatched.clone()).await, 0);
    h.advance(Duration::from_secs(6 * 24 * 3600));
    h.publish(event("recent")).await;
    h.settle_at(&hook, 2, "success", 1).await;
    let purged = h.app.state.deliveries.purge_expired().await.expect("purge");
    assert_eq!(
        (purged.deliveries, purged.events),
        (0, 0),
        "nothing is 7 days old"
    );
    h.advance(Duration::from_secs(2 * 24 * 3600));
    let purged = h.app.state.deliveries.purge_expired().await.expect("purge");
    assert_eq!((purged.deliveries, purged.events), (1, 2));
    let left = h.deliveries(&hook, "").await;
    assert_eq!(left.len(), 1);
    // The old event is forgotten: publishing it again makes a new delivery.
    assert_eq!(h.publish(event("old")).await, 1);
    assert_eq!(h.publish(event("recent")).await, 0, "still remembered");
}

async fn a_dead_endpoint_does_not_delay_a_healthy_one(engine: Engine) {
    let h = Harness::start_with(engine, |settings| {
        settings.workers = 6;
        settings.per_webhook_in_flight = 2;
        settings.request_timeout = Duration::from_secs(30);
    })
    .await;
    let dead = h.webhook("/dead", json!({})).await;
    let healthy = h
        .webhook(
            "/healthy",
            json!({"url": format!("https://{OTHER_HOOKS}:{}/healthy", h.receiver.port()),
                   "eventTypes": ["com.qlik.v1.app.deleted"]}),
        )
        .await;
    // The dead endpoint holds every request for 25 s.
    h.receiver.plan(
        "/dead",
        vec![Planned::status(200).with_delay(Duration::from_secs(25))],
    );
    for n in 0..20 {
        h.publish(event(&format!("dead-{n}"))).await;
    }
    for n in 0..20 {
        let mut other = event(&format!("healthy-{n}"));
        other["type"] = json!("com.qlik.v1.app.deleted");
        h.publish(other).await;
    }
    // Every healthy delivery completes while the dead endpoint still holds its first two.
    h.settle_at(&healthy, 20, "success", 1).await;
    assert!(h.receiver.received_on("/dead").is_empty());
    let waiting = h.deliveries(&dead, "").await;
    assert_eq!(waiting.len(), 20);
    assert!(waiting.iter().all(|d| d["status"] == "pending"));
}

async fn a_late_writer_cannot_overwrite_the_new_lease_holder(engine: Engine) {
    use server::db::deliveries::{self, AfterAttempt, AttemptRow, Claim, ToRecord};
    let h = Harness::start(engine).await;
    let hook = h.webhook("/lease", json!({})).await;
    h.receiver.plan("/lease", vec![Planned::status(500)]);
    h.publish(event("e-1")).await;
    let first = h.settle_at(&hook, 1, "pending", 1).await[0].clone();
    let id = first["id"].as_str().expect("id").to_owned();
    let db = &h.app.state.db;
    let now = server::timestamps::to_millis(h.app.clock_now()) + 10 * 3600 * 1000;
    let claim = |token: &'static str, at: i64| {
        let db = db.clone();
        async move {
            let mut conn = db.connection().await.expect("connection");
            deliveries::claim_due(
                &mut conn,
                db.backend(),
                &Claim {
                    now: at,
                    lease_until: at + 30_000,
                    lease_ms: 30_000,
                    token,
                    limit: 10,
                    busy: &[],
                },
                |_| true,
            )
            .await
            .expect("claim")
        }
    };
    // Keep the app's own workers from taking it: its clock is hours behind `now`.
    assert_eq!(claim("late", now).await.len(), 1);
    assert!(claim("other", now + 1_000).await.is_empty(), "leased");
    // Leases end by the database's clock: a node whose clock is an hour ahead cannot take it.
    assert!(
        claim("ahead", now + 3600 * 1000).await.is_empty(),
        "a clock ahead does not end a lease"
    );
    // 31 s pass on the database's clock.
    sqlx::query("UPDATE deliveries SET lease_expires_at = lease_expires_at - 31000 WHERE id = $1")
        .bind(&id)
        .execute(db.pool())
        .await
        .expect("age the lease");
    assert_eq!(
        claim("new", now + 31_000).await.len(),
        1,
        "the lease ran out"
    );
    let attempt = |token: &str| AttemptRow {
        delivery_id: id.clone(),
        number: 2,
        started_at: now,
        duration_ms: 5,
        status_code: Some(200),
        error: None,
        response_headers: "[]".into(),
        response_body: format!("written by {token}"),
    };
    let after = AfterAttempt {
        status: "success".into(),
        status_message: "delivered".into(),
        next_attempt_at: None,
        request_url: h.receiver.url("/lease"),
        request_headers: "{}".into(),
    };
    let record = |token| {
        let attempt = attempt(token);
        let after = after.clone();
        let db = db.clone();
        async move {
            let mut conn = db.connection().await.expect("connection");
            deliveries::record_attempts(
                &mut conn,
                &[ToRecord {
                    token,
                    attempt: &attempt,
                    after: &after,
                }],
            )
            .await
            .expect("record")
        }
    };
    assert!(
        record("late").await.is_empty(),
        "the late writer records nothing"
    );
    assert!(record("new").await.contains(&id));
    let stored = h.delivery(&hook, &id).await;
    assert_eq!(stored["status"], "success");
    assert_eq!(stored["attempts"][1]["responseBody"], "written by new");
}

async fn the_console_reads_resends_and_tests_through_the_same_service(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/console", json!({})).await;
    h.publish(event("e-1")).await;
    let rest = h.settle_at(&hook, 1, "success", 1).await;
    let call = |name: &'static str, args: Value| {
        h.app
            .server_fn(name, Some(&h.session), ServerFnBody::Json(args))
    };
    let page = json_ok(
        call(
            "list_deliveries",
            json!({"webhook_id": hook, "query": "status=success"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        page["data"],
        Value::Array(rest.clone()),
        "the same resource as the REST API"
    );
    let id = rest[0]["id"].as_str().expect("id");
    let one = json_ok(
        call(
            "get_delivery",
            json!({"webhook_id": hook, "delivery_id": id}),
        )
        .await,
    )
    .await;
    assert_eq!(one, h.delivery(&hook, id).await);
    let resent = json_ok(
        call(
            "resend_delivery",
            json!({"webhook_id": hook, "delivery_id": id}),
        )
        .await,
    )
    .await;
    assert_eq!(resent["trigger"], "manual");
    assert_eq!(resent["status"], "success");
    let test_id = json_ok(
        call(
            "send_test_event",
            json!({"webhook_id": hook, "event_type": "com.qlik.v1.app.created"}),
        )
        .await,
    )
    .await;
    h.settle(&hook, 3, |d| d["status"] == "success").await;
    let tests = h.deliveries(&hook, "").await;
    assert!(tests
        .iter()
        .any(|d| d["id"] == test_id && d["trigger"] == "test"));
    // The same refusals as the REST API.
    let error = app_error(
        call(
            "list_deliveries",
            json!({"webhook_id": hook, "query": "status=done"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        error.message_for("/status").as_deref(),
        Some("status is pending, success or fail.")
    );
    let error = app_error(
        call(
            "send_test_event",
            json!({"webhook_id": hook, "event_type": "com.qlik.v1.user.created"}),
        )
        .await,
    )
    .await;
    assert!(error.message_for("/eventType").is_some(), "{error:?}");
    let (user, _) = h
        .app
        .add_user(&h.session, "use@example.com", "use-webhooks")
        .await;
    let error = app_error(
        h.app
            .server_fn(
                "get_delivery",
                Some(&user),
                ServerFnBody::Json(json!({"webhook_id": hook, "delivery_id": id})),
            )
            .await,
    )
    .await;
    assert_eq!(error, app::error::AppError::NotFound);
}

async fn every_attempt_failing_for_the_period_disables_the_webhook(engine: Engine) {
    let h = Harness::start_with(engine, |settings| {
        settings.failing_period = Duration::from_secs(3600);
    })
    .await;
    let hook = h.webhook("/down", json!({})).await;
    h.receiver.plan("/down", vec![Planned::status(503)]);
    h.publish(event("e-1")).await;
    // Six attempts, each as soon as it is due (at most 1.2 × the step): all within 52 minutes.
    let schedule = DeliverySettings::default().retry_schedule;
    for attempt in 1..=6 {
        h.settle_at(&hook, 1, "pending", attempt).await;
        assert_eq!(
            h.webhook_state(&hook).await["enabled"],
            true,
            "attempt {attempt}"
        );
        h.advance(schedule[attempt as usize - 1].mul_f64(1.2) + Duration::from_secs(1));
    }
    // The seventh attempt, over an hour after the first failure, disables it.
    let ended = h.settle_at(&hook, 1, "fail", 7).await;
    assert_eq!(ended[0]["statusMessage"], "webhook disabled");
    let webhook = h.webhook_state(&hook).await;
    assert_eq!(webhook["enabled"], false);
    assert_eq!(webhook["disabledReasonCode"], "delivery-failure-threshold");
    assert!(webhook["disabledReason"]
        .as_str()
        .expect("reason")
        .contains("1h"));
}

async fn responses_are_kept_up_to_64_kib(engine: Engine) {
    let h = Harness::start(engine).await;
    let hook = h.webhook("/chatty", json!({})).await;
    h.receiver.plan(
        "/chatty",
        vec![Planned::status(200)
            .with_header("X-Answer", "42")
            .with_body(&"y".repeat(100_000))],
    );
    h.publish(event("e-1")).await;
    let done = h.settle_at(&hook, 1, "success", 1).await;
    let full = h.delivery(&hook, done[0]["id"].as_str().expect("id")).await;
    let body = full["response"]["body"].as_str().expect("body");
    assert_eq!(body.len(), 64 * 1024);
    assert!(full["response"]["headers"]
        .as_array()
        .expect("headers")
        .contains(&json!(["x-answer", "42"])));
}

/// On PostgreSQL a node whose workers poll only once an hour still delivers at once what
/// another node accepted: the other node's NOTIFY wakes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_node_is_woken_by_notify_not_by_polling() {
    let mut h = Harness::start(Engine::Postgres).await;
    let hook = h.webhook("/woken", json!({})).await;
    h.stop_workers();
    let mut settings = h.app.state.deliveries.settings().clone();
    settings.poll_interval = Duration::from_secs(3600);
    let db = server::db::Database::open(&h.app.database.url)
        .await
        .expect("second connection pool");
    let other = server::delivery::DeliveryEngine::new(
        db,
        h.app.clock.clone(),
        std::sync::Arc::new(
            server::crypto::Keyring::parse(crate::support::TEST_MASTER_KEY).expect("key"),
        ),
        settings,
        std::sync::Arc::new(server::metrics::Metrics::new()),
    )
    .expect("engine");
    let workers = other.start();
    // Its first look finds nothing; give its listener a moment to connect.
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.publish(event("e-1")).await;
    let got = h
        .receiver
        .wait_for("/woken", 1, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 1, "not woken");
    h.settle_at(&hook, 1, "success", 1).await;
    let stopped = workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!((stopped.abandoned, stopped.released), (0, 0));
}

async fn deactivating_the_owner_ends_pending_deliveries(engine: Engine) {
    let h = Harness::start(engine).await;
    let (_, owner) = h
        .app
        .add_user(&h.session, "owner@example.com", "use-webhooks")
        .await;
    let hook = h
        .webhook("/owned", json!({"level": "user", "ownerId": owner}))
        .await;
    h.receiver.plan("/owned", vec![Planned::status(500)]);
    let mut owned = event("e-1");
    owned["ownerid"] = json!(owner);
    assert_eq!(h.publish(owned).await, 1);
    h.settle_at(&hook, 1, "pending", 1).await;
    json_ok(
        h.app
            .server_fn(
                "set_user_active",
                Some(&h.session),
                ServerFnBody::Json(json!({"user_id": owner, "active": false})),
            )
            .await,
    )
    .await;
    let ended = h.settle_at(&hook, 1, "fail", 1).await;
    assert_eq!(ended[0]["statusMessage"], "webhook disabled");
    assert_eq!(
        h.webhook_state(&hook).await["disabledReasonCode"],
        "owner-deactivated"
    );
}

/// How many of the webhook's deliveries are leased, read from the database.
pub async fn leased(h: &Harness, webhook_id: &str) -> i64 {
    let mut conn = h.app.state.db.connection().await.expect("connection");
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deliveries WHERE webhook_id = $1 AND lease_token IS NOT NULL",
    )
    .bind(webhook_id)
    .fetch_one(&mut *conn)
    .await
    .expect("count");
    count
}

/// Waits until a delivery of the webhook is claimed, its attempt under way.
async fn in_flight(h: &Harness, webhook_id: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while leased(h, webhook_id).await == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never claimed: {:?}",
            h.deliveries(webhook_id, "").await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_stop_waits_for_attempts_then_gives_back_the_leases_of_the_rest(engine: Engine) {
    let mut h = Harness::start(engine).await;
    let quick = h.webhook("/quick", json!({})).await;
    let slow = h
        .webhook(
            "/slow",
            json!({"eventTypes": ["com.qlik.v1.app.reload.finished"]}),
        )
        .await;

    // An attempt shorter than the grace period is finished and recorded.
    h.receiver.plan(
        "/quick",
        vec![Planned::status(200).with_delay(Duration::from_millis(500))],
    );
    h.publish(event("e-quick")).await;
    in_flight(&h, &quick).await;
    let stopped = h.shut_down_workers(Duration::from_secs(5)).await;
    assert_eq!((stopped.abandoned, stopped.released), (0, 0));
    let finished = h.deliveries(&quick, "").await;
    assert_eq!(finished[0]["status"], "success", "{finished:?}");
    assert_eq!(leased(&h, &quick).await, 0);

    // Two longer than the grace period are stopped, and a third waiting in memory behind them
    // (a webhook starts with two at a time) is not started: all three leases are given back.
    h.restart_workers();
    h.receiver.plan(
        "/slow",
        vec![Planned::status(200).with_delay(Duration::from_secs(3))],
    );
    for n in 0..3 {
        let mut reloaded = event(&format!("e-slow-{n}"));
        reloaded["type"] = json!("com.qlik.v1.app.reload.finished");
        h.publish(reloaded).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while leased(&h, &slow).await < 3 {
        assert!(tokio::time::Instant::now() < deadline, "not all leased");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopped = h.shut_down_workers(Duration::from_millis(200)).await;
    assert_eq!((stopped.abandoned, stopped.released), (2, 3));
    assert_eq!(leased(&h, &slow).await, 0);
    let released = h.deliveries(&slow, "").await;
    assert_eq!(released.len(), 3);
    for delivery in &released {
        assert_eq!(delivery["status"], "pending", "{released:?}");
        assert_eq!(delivery["attemptCount"], 0, "{released:?}");
    }

    // Started again, the workers take them over without waiting for a lease to expire.
    h.receiver.plan("/slow", vec![Planned::status(200)]);
    h.restart_workers();
    h.settle_at(&slow, 3, "success", 1).await;
}

async fn the_purge_keeps_pending_deliveries(engine: Engine) {
    let mut h = Harness::start(engine).await;
    let hook = h.webhook("/later", json!({})).await;
    // With the workers stopped, a delivery stays pending past the retention period.
    h.shut_down_workers(Duration::from_secs(5)).await;
    h.publish(event("waiting")).await;
    h.advance(Duration::from_secs(8 * 24 * 3600));
    let purged = h.app.state.deliveries.purge_expired().await.expect("purge");
    assert_eq!((purged.deliveries, purged.events), (0, 0), "still pending");
    let kept = h.deliveries(&hook, "").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["status"], "pending");
    // Once it ended, it is as old as it was: it goes, with its event.
    h.restart_workers();
    h.settle_at(&hook, 1, "success", 1).await;
    let purged = h.app.state.deliveries.purge_expired().await.expect("purge");
    assert_eq!((purged.deliveries, purged.events), (1, 1));
}
