//! No password, key, link or session token ever reaches the logs, and none comes back in a
//! response after the one that created it; nor does a delivery's payload, signature or answer.

use std::{
    io::Write,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use serde_json::json;
use test_receiver::Planned;

use crate::{
    delivery_support::{event, Harness},
    support::{json_ok, link_token, session_cookie, Engine, ServerFnBody, TestApp, PASSWORD},
};

/// Everything the subscriber writes, kept for searching.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Captures every log line (all levels, dependencies included) of this thread until the
    /// guard is dropped.
    fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

// Current-thread runtimes: the capturing subscriber is the thread's default, so it sees every
// log line of the requests and of the delivery workers (which all run on this thread).
#[tokio::test(flavor = "current_thread")]
async fn sqlite() {
    full_flow_logs_no_secret(Engine::Sqlite).await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres() {
    full_flow_logs_no_secret(Engine::Postgres).await;
}

#[tokio::test(flavor = "current_thread")]
async fn deliveries_on_sqlite() {
    deliveries_log_no_payload(Engine::Sqlite).await;
}

#[tokio::test(flavor = "current_thread")]
async fn deliveries_on_postgres() {
    deliveries_log_no_payload(Engine::Postgres).await;
}

async fn full_flow_logs_no_secret(engine: Engine) {
    let (logs, _guard) = CapturedLogs::install();

    let app = TestApp::start(engine).await;
    let mut secrets = vec![PASSWORD.to_owned()];

    let setup = app
        .state
        .accounts
        .bootstrap()
        .await
        .expect("bootstrap")
        .expect("link");
    let setup_token = link_token(&setup.url);
    let response = app
        .server_fn(
            "complete_setup",
            None,
            ServerFnBody::form(&[
                ("token", &setup_token),
                ("email", "ada@example.com"),
                ("display_name", "Ada"),
                ("password", PASSWORD),
                ("confirmation", PASSWORD),
            ]),
        )
        .await;
    let setup_session = session_cookie(&response).expect("setup session");
    secrets.extend([setup_token, setup_session]);

    let wrong = "not the password at all";
    assert!(app.sign_in_fails("ada@example.com", wrong).await);
    secrets.push(wrong.to_owned());
    // Guesses at another account until it is throttled: neither the guesses nor the throttled
    // attempt's password reach the logs.
    for n in 0..6 {
        let guess = format!("guessed passphrase {n}");
        assert!(app.sign_in_fails("mallory@example.com", &guess).await);
        secrets.push(guess);
    }
    let admin = app.sign_in("ada@example.com", PASSWORD).await;
    secrets.push(admin.clone());

    let bob = app
        .add_user_with_invite(&admin, "bob@example.com", "use-webhooks")
        .await;
    let bob_id = bob.id;
    secrets.extend([bob.session, bob.invite_token]);
    let reset = json_ok(
        app.server_fn(
            "password_reset_link",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": bob_id})),
        )
        .await,
    )
    .await;
    let reset_token = link_token(reset["url"].as_str().expect("url"));
    let new_password = "another long passphrase";
    let response = app
        .server_fn(
            "reset_password",
            None,
            ServerFnBody::form(&[
                ("token", &reset_token),
                ("password", new_password),
                ("confirmation", new_password),
            ]),
        )
        .await;
    secrets.extend([
        reset_token,
        new_password.to_owned(),
        session_cookie(&response).expect("reset session"),
    ]);

    let created = json_ok(
        app.server_fn(
            "create_api_key",
            Some(&admin),
            ServerFnBody::Json(json!({"owner_id": bob_id, "name": "bob", "scopes": ["webhooks"]})),
        )
        .await,
    )
    .await;
    let key = created["key"].as_str().expect("key").to_owned();
    assert_eq!(
        app.api_get("/api/v1/users/me", Some(&key)).await.status(),
        200
    );
    // `herald_<hex prefix>_<secret>`: the secret itself may contain `_`.
    let secret_part = key
        .strip_prefix("herald_")
        .and_then(|rest| rest.split_once('_'))
        .map(|(_, secret)| secret.to_owned())
        .expect("secret");
    // Webhook writes: the secret, an encrypted header's value and the URL's query string
    // (which often carries a token) stay out of the logs.
    let webhook_secret = "webhook-signing-secret-for-the-log-test-01";
    let header_value = "Bearer endpoint-token-for-the-log-test";
    let response = app
        .api(
            "POST",
            "/api/v1/webhooks?probe=request-query-token",
            &key,
            Some(json!({
                "name": "Logged", "url": "https://hooks.example.com/in?token=first-query-token",
                "eventTypes": ["com.qlik.v1.app.created"], "secret": webhook_secret,
                "encryptedHeaders": {"Authorization": header_value}
            })),
        )
        .await;
    let webhook = json_ok(response).await;
    let path = format!("/api/v1/webhooks/{}", webhook["id"].as_str().expect("id"));
    let patched = app
        .api(
            "PATCH",
            &path,
            &key,
            Some(json!([
                {"op": "replace", "path": "/url", "value": "https://hooks.example.com/in?token=second-query-token"},
                {"op": "replace", "path": "/encryptedHeaders/Authorization", "value": "Bearer second-endpoint-token"}
            ])),
        )
        .await;
    assert_eq!(patched.status(), 204);
    let refused = app
        .api(
            "PATCH",
            &path,
            &key,
            Some(json!([{"op": "replace", "path": "/secret", "value": "too-short-secret-token"}])),
        )
        .await;
    assert_eq!(refused.status(), 400);
    secrets.extend(
        [
            webhook_secret,
            header_value,
            "first-query-token",
            "second-query-token",
            "second-endpoint-token",
            "too-short-secret-token",
            "request-query-token",
        ]
        .map(str::to_owned),
    );
    secrets.extend([key, secret_part]);
    app.server_fn("sign_out", Some(&admin), ServerFnBody::empty())
        .await;

    // Responses after creation: lists carry neither keys nor password hashes.
    let users = json_ok(
        app.server_fn(
            "list_users",
            Some(&admin_session(&app).await),
            ServerFnBody::empty(),
        )
        .await,
    )
    .await
    .to_string();
    let keys = json_ok(
        app.server_fn(
            "list_api_keys",
            Some(&admin_session(&app).await),
            ServerFnBody::empty(),
        )
        .await,
    )
    .await
    .to_string();
    for listing in [&users, &keys] {
        assert!(!listing.contains("argon2"), "{listing}");
        for secret in &secrets {
            assert!(
                !listing.contains(secret.as_str()),
                "a secret in a listing: {listing}"
            );
        }
    }

    let text = logs.text();
    assert!(text.contains("signed in"), "the capture works: {text}");
    assert!(
        text.contains("sign-in throttled"),
        "the throttled attempt was logged: {text}"
    );
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret reached the logs:\n{text}"
        );
    }
}

/// A fresh session of the admin (the earlier one was signed out).
async fn admin_session(app: &TestApp) -> String {
    app.sign_in("ada@example.com", PASSWORD).await
}

/// Publishing and delivering (a failed attempt, its retry, a resend): the payload, the secret
/// and the signature made with it, the encrypted header, the URL's query string and what the
/// endpoint answered stay out of the logs.
async fn deliveries_log_no_payload(engine: Engine) {
    let (logs, _guard) = CapturedLogs::install();
    let h = Harness::start(engine).await;
    let secret = "delivery-signing-secret-for-the-log-test";
    let header_value = "Bearer delivery-endpoint-token";
    let hook = h
        .webhook(
            "/logged?token=delivery-query-token",
            json!({"secret": secret, "encryptedHeaders": {"Authorization": header_value}}),
        )
        .await;
    h.receiver.plan(
        "/logged",
        vec![
            Planned::status(500)
                .with_header("x-answer", "response-header-marker")
                .with_body("response-body-marker"),
            Planned::status(200).with_body("second-response-marker"),
        ],
    );
    let mut published = event("e-logged");
    published["data"] = json!({"note": "payload-marker-in-the-data"});
    assert_eq!(h.publish(published).await, 1);
    h.settle_at(&hook, 1, "pending", 1).await;
    h.advance(Duration::from_secs(3600));
    let delivered = h.settle_at(&hook, 1, "success", 2).await;
    let (status, resent) = h
        .resend(&hook, delivered[0]["id"].as_str().expect("id"))
        .await;
    assert_eq!(status, 201, "{resent}");
    let received = h.receiver.received_on("/logged");
    assert_eq!(received.len(), 3, "two attempts and the resend");
    assert_eq!(received[0].header("authorization"), Some(header_value));
    let signature = received[0]
        .header("qlik-signature")
        .expect("signed")
        .to_owned();

    let text = logs.text();
    for expected in ["events accepted", "delivery resent"] {
        assert!(
            text.contains(expected),
            "the capture sees {expected:?}: {text}"
        );
    }
    for secret in [
        secret,
        header_value,
        "delivery-endpoint-token",
        "delivery-query-token",
        "payload-marker-in-the-data",
        "response-header-marker",
        "response-body-marker",
        "second-response-marker",
        signature.as_str(),
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} reached the logs:\n{text}"
        );
    }
}
