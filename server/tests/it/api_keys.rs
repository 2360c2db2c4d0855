//! API keys: created once-shown, used as Bearer tokens, limited by scopes, revoked, on both
//! databases.

use serde_json::{json, Value};
use time::Duration;

use crate::on_both_databases;
use crate::support::{body_text, json_ok, Engine, ServerFnBody, TestApp};

on_both_databases!(
    a_key_is_shown_once_and_authenticates_rest_calls,
    scopes_limit_what_a_key_may_do,
    a_revoked_or_unknown_key_answers_401_in_the_api_format,
    the_rest_api_ignores_the_session_cookie,
);

async fn create_key(app: &TestApp, admin: &str, owner_id: &str, scopes: Value) -> Value {
    json_ok(
        app.server_fn(
            "create_api_key",
            Some(admin),
            ServerFnBody::Json(json!({"owner_id": owner_id, "name": "CI", "scopes": scopes})),
        )
        .await,
    )
    .await
}

async fn my_id(app: &TestApp, session: &str) -> String {
    let me = json_ok(
        app.server_fn("current_user", Some(session), ServerFnBody::empty())
            .await,
    )
    .await;
    me["id"].as_str().expect("id").to_owned()
}

async fn a_key_is_shown_once_and_authenticates_rest_calls(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let created = create_key(
        &app,
        &admin,
        &my_id(&app, &admin).await,
        json!(["webhooks"]),
    )
    .await;
    let key = created["key"].as_str().expect("key").to_owned();
    let prefix = created["summary"]["prefix"]
        .as_str()
        .expect("prefix")
        .to_owned();
    assert!(key.starts_with(&format!("{prefix}_")), "{key} / {prefix}");

    let listed = json_ok(
        app.server_fn("list_api_keys", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    let text = listed.to_string();
    assert!(!text.contains(&key), "the list never shows the key: {text}");
    assert_eq!(listed[0]["prefix"], prefix.as_str());
    assert_eq!(listed[0]["last_used_at"], Value::Null);

    app.clock.advance(Duration::minutes(5));
    let me = json_ok(app.api_get("/api/v1/users/me", Some(&key)).await).await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["permission"], "TenantAdmin");
    assert!(!me.to_string().contains(&key));

    let listed = json_ok(
        app.server_fn("list_api_keys", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(listed[0]["last_used_at"], "2026-11-01T09:05:00.000Z");
}

async fn scopes_limit_what_a_key_may_do(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let owner = my_id(&app, &admin).await;
    let publish_only = create_key(&app, &admin, &owner, json!(["events:publish"])).await;
    let publish_only = publish_only["key"].as_str().expect("key");
    let webhooks = create_key(&app, &admin, &owner, json!(["webhooks"])).await;
    let webhooks = webhooks["key"].as_str().expect("key");

    for path in [
        "/api/v1/webhooks/event-types",
        "/api/core/webhooks/event-types",
    ] {
        let refused = app.api_get(path, Some(publish_only)).await;
        assert_eq!(refused.status(), 403, "{path}");
        let body: Value = serde_json::from_str(&body_text(refused).await).expect("json");
        assert!(
            body["errors"][0]["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("webhooks scope")),
            "{body}"
        );
        let allowed = json_ok(app.api_get(path, Some(webhooks)).await).await;
        assert_eq!(allowed["data"].as_array().expect("types").len(), 9);
    }

    let none = app
        .server_fn(
            "create_api_key",
            Some(&admin),
            ServerFnBody::Json(json!({"owner_id": owner, "name": "empty", "scopes": []})),
        )
        .await;
    let error = crate::support::app_error(none).await;
    assert!(error.message_for("/scopes").is_some(), "{error:?}");
}

async fn a_revoked_or_unknown_key_answers_401_in_the_api_format(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let created = create_key(
        &app,
        &admin,
        &my_id(&app, &admin).await,
        json!(["webhooks"]),
    )
    .await;
    let key = created["key"].as_str().expect("key").to_owned();
    let revoked = json_ok(
        app.server_fn(
            "revoke_api_key",
            Some(&admin),
            ServerFnBody::Json(json!({"key_id": created["summary"]["id"]})),
        )
        .await,
    )
    .await;
    assert!(revoked["revoked_at"].is_string());

    let mut tampered = key.clone();
    tampered.pop();
    tampered.push(if key.ends_with('A') { 'B' } else { 'A' });
    for presented in [
        Some(key.as_str()),
        Some(tampered.as_str()),
        Some("herald_nothing"),
        None,
    ] {
        let response = app.api_get("/api/v1/users/me", presented).await;
        assert_eq!(response.status(), 401, "{presented:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = serde_json::from_str(&body_text(response).await).expect("json");
        assert_eq!(body["errors"][0]["code"], "unauthorized", "{body}");
        assert!(body["traceId"].is_string(), "{body}");
    }
    let unknown_path = app.api_get("/api/v1/nothing-here", None).await;
    assert_eq!(unknown_path.status(), 404);
}

async fn the_rest_api_ignores_the_session_cookie(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let response = app
        .send(
            axum::http::Request::get("/api/v1/users/me")
                .header("cookie", format!("herald_session={admin}"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), 401);
}
