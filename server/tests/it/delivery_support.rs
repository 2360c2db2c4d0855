//! What the delivery tests share: the app with its workers running, a local HTTPS receiver that
//! Herald reaches through its own settings (test CA as an extra CA, hosts override to
//! 127.0.0.1, 127.0.0.1 on the allow-list — the address checks stay on), an admin with a key
//! for both scopes, and helpers to publish events and follow deliveries.

use std::{collections::HashMap, time::Duration};

use axum::{body::Body, http::Request, response::Response};
use serde_json::{json, Value};
use server::delivery::{DeliverySettings, Stopped, Workers};
use tempfile::TempDir;
use test_receiver::Receiver;

use crate::{
    support::{json_ok, Engine, ServerFnBody, TestApp},
    webhooks::{answer, user_id, ADMIN},
};

/// The receiver's host names; the hosts override maps them to 127.0.0.1.
pub const HOOKS: &str = "hooks.herald.test";
pub const OTHER_HOOKS: &str = "other.herald.test";

pub struct Harness {
    pub app: TestApp,
    pub receiver: Receiver,
    pub session: String,
    pub admin_id: String,
    /// Scopes `webhooks` and `events:publish`.
    pub key: String,
    pub tenant_id: String,
    workers: Option<Workers>,
    _ca_dir: TempDir,
}

impl Harness {
    pub async fn start(engine: Engine) -> Self {
        Self::start_with(engine, |_| {}).await
    }

    /// A harness whose delivery settings `adjust` changes from the test defaults.
    pub async fn start_with(engine: Engine, adjust: impl FnOnce(&mut DeliverySettings)) -> Self {
        let receiver = Receiver::start(&[HOOKS, OTHER_HOOKS], 0)
            .await
            .expect("receiver starts");
        let ca_dir = tempfile::tempdir().expect("temporary directory");
        let ca_file = ca_dir.path().join("test-ca.pem");
        std::fs::write(&ca_file, receiver.ca_pem()).expect("write CA");
        let loopback: std::net::IpAddr = "127.0.0.1".parse().expect("address");
        let app = TestApp::start_with_services(engine, |services| {
            let delivery = &mut services.delivery;
            delivery.hosts = HashMap::from([
                (HOOKS.to_owned(), vec![loopback]),
                (OTHER_HOOKS.to_owned(), vec![loopback]),
            ]);
            delivery.allowed_networks = vec!["127.0.0.1/32".parse().expect("network")];
            delivery.extra_ca_files = vec![ca_file];
            delivery.request_timeout = Duration::from_secs(5);
            adjust(delivery);
        })
        .await;
        let workers = app.state.deliveries.start();
        let session = app.first_admin(ADMIN).await;
        let admin_id = user_id(&app, &session).await;
        let key = key_with_scopes(&app, &session, &admin_id, &["webhooks", "events:publish"]).await;
        let me = json_ok(app.api_get("/api/v1/users/me", Some(&key)).await).await;
        let tenant_id = me["tenantId"].as_str().expect("tenant id").to_owned();
        Self {
            app,
            receiver,
            session,
            admin_id,
            key,
            tenant_id,
            workers: Some(workers),
            _ca_dir: ca_dir,
        }
    }

    /// A REST call with the admin's key.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.app.api(method, path, &self.key, body).await
    }

    /// Creates a webhook to `path` on the receiver; its id.
    pub async fn webhook(&self, path: &str, extra: Value) -> String {
        let mut body = json!({
            "name": format!("hook {path}"),
            "url": self.receiver.url(path),
            "eventTypes": ["com.qlik.v1.app.created"],
        });
        for (name, value) in extra.as_object().expect("object").clone() {
            body[name] = value;
        }
        let created = json_ok(self.call("POST", "/api/v1/webhooks", Some(body)).await).await;
        created["id"].as_str().expect("id").to_owned()
    }

    /// `POST /api/v1/events` with `body` as JSON text.
    pub async fn publish_text(&self, body: &str) -> Response {
        self.publish_as(&self.key, "application/cloudevents+json", body)
            .await
    }

    /// `POST /api/v1/events` with the API key `key` and `body` as `content_type`.
    pub async fn publish_as(&self, key: &str, content_type: &str, body: &str) -> Response {
        self.app
            .send(
                Request::post("/api/v1/events")
                    .header("authorization", format!("Bearer {key}"))
                    .header("content-type", content_type)
                    .body(Body::from(body.to_owned()))
                    .expect("request"),
            )
            .await
    }

    /// Publishes one event and expects it accepted; its `deliveries` count.
    pub async fn publish(&self, event: Value) -> u64 {
        let accepted = json_ok(self.publish_text(&event.to_string()).await).await;
        accepted["data"][0]["deliveries"].as_u64().expect("count")
    }

    /// The webhook's deliveries, newest first (one page of up to 100).
    pub async fn deliveries(&self, webhook_id: &str, query: &str) -> Vec<Value> {
        let page = json_ok(
            self.call(
                "GET",
                &format!("/api/v1/webhooks/{webhook_id}/deliveries?limit=100{query}"),
                None,
            )
            .await,
        )
        .await;
        page["data"].as_array().expect("data").clone()
    }

    pub async fn delivery(&self, webhook_id: &str, id: &str) -> Value {
        json_ok(
            self.call(
                "GET",
                &format!("/api/v1/webhooks/{webhook_id}/deliveries/{id}"),
                None,
            )
            .await,
        )
        .await
    }

    /// Waits (waking the workers) until every delivery of the webhook satisfies `done`, and
    /// there are `count` of them; the deliveries.
    pub async fn settle(
        &self,
        webhook_id: &str,
        count: usize,
        done: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.deliveries(webhook_id, "").await;
            if found.len() == count && found.iter().all(&done) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "deliveries of {webhook_id} did not settle: {found:#?}"
            );
            self.app.state.deliveries.wake();
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until every delivery of the webhook has `status` and `attempts` attempts.
    pub async fn settle_at(
        &self,
        webhook_id: &str,
        count: usize,
        status: &str,
        attempts: u64,
    ) -> Vec<Value> {
        self.settle(webhook_id, count, |delivery| {
            delivery["status"] == status && delivery["attemptCount"] == attempts
        })
        .await
    }

    /// `POST …/deliveries/{id}/actions/resend`: status and body.
    pub async fn resend(&self, webhook_id: &str, id: &str) -> (u16, Value) {
        answer(
            self.call(
                "POST",
                &format!("/api/v1/webhooks/{webhook_id}/deliveries/{id}/actions/resend"),
                None,
            )
            .await,
        )
        .await
    }

    /// `POST …/webhooks/{id}/actions/test` with `body`: status and body.
    pub async fn send_test(&self, webhook_id: &str, body: Value) -> (u16, Value) {
        answer(
            self.call(
                "POST",
                &format!("/api/v1/webhooks/{webhook_id}/actions/test"),
                Some(body),
            )
            .await,
        )
        .await
    }

    /// Enables or disables a webhook with a JSON Patch.
    pub async fn set_enabled(&self, webhook_id: &str, enabled: bool) {
        self.patch(
            webhook_id,
            json!([{"op": "replace", "path": "/enabled", "value": enabled}]),
        )
        .await;
    }

    /// Changes a webhook with the JSON Patch `operations`, expecting 204.
    pub async fn patch(&self, webhook_id: &str, operations: Value) {
        let response = self
            .call(
                "PATCH",
                &format!("/api/v1/webhooks/{webhook_id}"),
                Some(operations),
            )
            .await;
        assert_eq!(response.status(), 204);
    }

    /// Stops this app's workers (another engine does the work).
    pub fn stop_workers(&mut self) {
        self.workers = None;
    }

    /// Stops this app's workers as a stop signal does, with `grace` for attempts in flight.
    pub async fn shut_down_workers(&mut self, grace: Duration) -> Stopped {
        self.workers
            .take()
            .expect("workers running")
            .shutdown(grace)
            .await
    }

    /// Starts this app's workers again (after [`Harness::shut_down_workers`]).
    pub fn restart_workers(&mut self) {
        self.workers = Some(self.app.state.deliveries.start());
    }

    /// Moves the clock on and wakes the workers.
    pub fn advance(&self, by: Duration) {
        self.app
            .clock
            .advance(time::Duration::try_from(by).expect("duration"));
        self.app.state.deliveries.wake();
    }

    /// The webhook as the API returns it.
    pub async fn webhook_state(&self, id: &str) -> Value {
        json_ok(
            self.call("GET", &format!("/api/v1/webhooks/{id}"), None)
                .await,
        )
        .await
    }
}

/// An API key of the user `owner_id` with `scopes`, created by the signed-in admin.
pub async fn key_with_scopes(
    app: &TestApp,
    admin: &str,
    owner_id: &str,
    scopes: &[&str],
) -> String {
    let created = json_ok(
        app.server_fn(
            "create_api_key",
            Some(admin),
            ServerFnBody::Json(
                json!({"owner_id": owner_id, "name": "publisher", "scopes": scopes}),
            ),
        )
        .await,
    )
    .await;
    created["key"].as_str().expect("key").to_owned()
}

/// A CloudEvents event of type `com.qlik.v1.app.created` with id `id`.
pub fn event(id: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": id,
        "source": "/apps",
        "type": "com.qlik.v1.app.created",
        "time": "2026-01-31T12:00:00Z",
        "data": {"id": id},
    })
}
