//! A property of `PATCH …/webhooks/{id}`: any JSON Patch — including `copy`, `move`
//! and `test`, and paths into write-only fields — either yields a valid webhook or changes
//! nothing, and no answer ever shows the secret or an encrypted header's value.

use proptest::{
    collection::vec,
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, TestRunner},
};
use serde_json::{json, Value};

use server::{crypto::Keyring, webhooks::stored};

use crate::on_both_databases;
use crate::support::{body_text, Engine, ServerFnBody, TestApp, TEST_MASTER_KEY};

on_both_databases!(any_patch_yields_a_valid_webhook_or_changes_nothing);

const SECRET: &str = "property-test-secret-0123456789abcdef";
const HEADER_VALUE: &str = "Bearer property-test-endpoint-token";
const CASES: usize = 96;

fn operation() -> impl Strategy<Value = Value> {
    let ops = prop::sample::select(vec!["add", "remove", "replace", "copy", "move", "test"]);
    let paths = prop::sample::select(vec![
        "/name",
        "/description",
        "/url",
        "/eventTypes",
        "/eventTypes/0",
        "/eventTypes/-",
        "/filter",
        "/headers",
        "/headers/X-Team",
        "/encryptedHeaders",
        "/encryptedHeaders/Authorization",
        "/secret",
        "/enabled",
        "/level",
        "/ownerId",
        "/enableCloudEventDelivery",
        "/checkCertificateRevocation",
        "/id",
        "/createdAt",
        "/origin",
        "/nope",
        "",
    ]);
    let values = prop::sample::select(vec![
        json!("Renamed"),
        json!(""),
        json!("https://other.example.com/in"),
        json!("https://127.0.0.1/"),
        json!("http://plain.example.com/"),
        json!("com.qlik.v1.app.deleted"),
        json!(["com.qlik.v1.reload.finished"]),
        json!([]),
        json!({"X-Team": "ops"}),
        json!({"Transfer-Encoding": "chunked"}),
        json!({"Authorization": "Bearer new"}),
        json!("a-brand-new-secret-of-sufficient-length!!"),
        json!("short"),
        json!(true),
        json!(false),
        json!(null),
        json!(42),
        json!("user"),
        json!("tenant"),
        json!("id eq \"x\""),
    ]);
    (ops, paths.clone(), paths, values).prop_map(
        |(op, path, from, value)| json!({"op": op, "path": path, "from": from, "value": value}),
    )
}

/// The stored `secret` and `encrypted_headers` columns (ciphertexts) of webhook `id`.
async fn stored_ciphertexts(app: &TestApp, id: &str) -> (Option<String>, Option<String>) {
    sqlx::query_as("SELECT secret, encrypted_headers FROM webhooks WHERE id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .expect("the webhook's row")
}

/// Whether some operation of `patch` writes at or under `field` (the root path writes all).
fn touches(patch: &Value, field: &str) -> bool {
    patch.as_array().into_iter().flatten().any(|operation| {
        let path = operation["path"].as_str().unwrap_or_default();
        path.is_empty() || path == field || path.starts_with(&format!("{field}/"))
    })
}

/// Checks what every stored webhook must satisfy.
fn assert_valid(webhook: &Value) {
    let url = webhook["url"].as_str().expect("url");
    assert!(
        url.starts_with("https://") && !url.contains("127.0.0.1"),
        "{webhook}"
    );
    assert!(
        !webhook["name"].as_str().expect("name").trim().is_empty(),
        "{webhook}"
    );
    assert!(
        !webhook["eventTypes"].as_array().expect("types").is_empty(),
        "{webhook}"
    );
    assert_eq!(webhook["checkCertificateRevocation"], false);
    assert!(
        webhook["headers"].get("Transfer-Encoding").is_none(),
        "{webhook}"
    );
}

async fn any_patch_yields_a_valid_webhook_or_changes_nothing(engine: Engine) {
    let app = TestApp::start_with_services(engine, |settings| {
        settings.rate_limits.reads_per_minute = 10_000;
        settings.rate_limits.writes_per_minute = 10_000;
    })
    .await;
    let admin = app.first_admin("ada@example.com").await;
    let me = body_text(
        app.server_fn("current_user", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    let me: Value = serde_json::from_str(&me).expect("json");
    let created = body_text(
        app.server_fn(
            "create_api_key",
            Some(&admin),
            ServerFnBody::Json(json!({"owner_id": me["id"], "name": "p", "scopes": ["webhooks"]})),
        )
        .await,
    )
    .await;
    let key = serde_json::from_str::<Value>(&created).expect("json")["key"]
        .as_str()
        .expect("key")
        .to_owned();

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let patches = vec(operation(), 1..4);
    let keyring = Keyring::parse(TEST_MASTER_KEY).expect("test master key");
    let (mut applied, mut refused) = (0, 0);
    for case in 0..CASES {
        // A fresh webhook each case, with a secret and an encrypted header.
        let body = json!({
            "name": "Property", "url": "https://hooks.example.com/in",
            "eventTypes": ["com.qlik.v1.app.created"], "secret": SECRET,
            "encryptedHeaders": {"Authorization": HEADER_VALUE}, "headers": {"X-Team": "dev"}
        });
        let response = app.api("POST", "/api/v1/webhooks", &key, Some(body)).await;
        let webhook: Value = serde_json::from_str(&body_text(response).await).expect("json");
        let id = webhook["id"].as_str().expect("id").to_owned();
        let path = format!("/api/v1/webhooks/{id}");
        let before = body_text(app.api("GET", &path, &key, None).await).await;
        let stored_before = stored_ciphertexts(&app, &id).await;

        let patch = Value::Array(
            patches
                .new_tree(&mut runner)
                .expect("a generated patch")
                .current(),
        );
        let response = app.api("PATCH", &path, &key, Some(patch.clone())).await;
        let status = response.status().as_u16();
        let answer = body_text(response).await;
        let after = body_text(app.api("GET", &path, &key, None).await).await;
        let stored_after = stored_ciphertexts(&app, &id).await;
        for shown in [&answer, &after] {
            assert!(
                !shown.contains(SECRET) && !shown.contains(HEADER_VALUE),
                "case {case} {patch}: a write-only value was shown: {shown}"
            );
        }
        match status {
            204 => {
                applied += 1;
                assert_valid(&serde_json::from_str(&after).expect("json"));
                // What the patch left alone still opens to the value first stored.
                let (secret, headers) = &stored_after;
                if !touches(&patch, "/secret") {
                    let opened = secret
                        .as_deref()
                        .map(|sealed| keyring.open(&stored::secret_context(&id), sealed));
                    assert!(
                        matches!(opened, Some(Ok(ref value)) if value == SECRET),
                        "case {case} {patch}: the secret was lost: {opened:?}"
                    );
                }
                if !touches(&patch, "/encryptedHeaders") {
                    let opened = headers.as_deref().map(|sealed| {
                        keyring.open(&stored::encrypted_headers_context(&id), sealed)
                    });
                    let Some(Ok(json)) = opened else {
                        panic!("case {case} {patch}: the encrypted headers were lost: {opened:?}")
                    };
                    let values: Value = serde_json::from_str(&json).expect("headers JSON");
                    assert_eq!(
                        values,
                        json!({"Authorization": HEADER_VALUE}),
                        "case {case} {patch}"
                    );
                }
            }
            400 | 403 | 409 => {
                refused += 1;
                assert_eq!(before, after, "case {case} {patch}: refused but changed");
                assert_eq!(
                    stored_before, stored_after,
                    "case {case} {patch}: refused but the stored ciphertexts changed"
                );
            }
            other => panic!("case {case} {patch}: unexpected status {other}: {answer}"),
        }
        assert_eq!(app.api("DELETE", &path, &key, None).await.status(), 204);
    }
    // The generated patches reach both outcomes, or the property says nothing.
    assert!(
        applied >= 5 && refused >= 5,
        "applied {applied}, refused {refused}"
    );
}
