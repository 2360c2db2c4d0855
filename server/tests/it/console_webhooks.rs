//! The console's webhook and event-type server functions: they call the same webhooks service
//! as the REST API, so a webhook made in one is the same resource in the other, with the same
//! rules, the same messages and the same permissions.

use app::error::AppError;
use serde_json::{json, Value};

use crate::{
    on_both_databases,
    support::{app_error, json_ok, Engine, ServerFnBody, TestApp},
    webhooks::{admin_key, answer, pointer_of, user_id},
};

on_both_databases!(
    the_console_and_the_api_share_one_webhook,
    the_console_refuses_what_the_api_refuses,
    the_console_follows_the_callers_role,
    tenant_admins_manage_custom_types_in_the_console,
    bulk_delete_counts_what_is_already_gone_as_deleted,
    the_owner_choices_follow_the_callers_role,
    generated_secrets_are_new_and_valid,
    the_edit_panels_patches_apply_as_the_panel_means,
);

impl TestApp {
    /// Calls a server function with a JSON body as the signed-in `session`.
    async fn console(&self, session: &str, name: &str, body: Value) -> axum::response::Response {
        self.server_fn(name, Some(session), ServerFnBody::Json(body))
            .await
    }
}

fn draft(name: &str) -> Value {
    json!({
        "name": name,
        "url": "https://hooks.example.com/orders",
        "eventTypes": ["com.qlik.v1.app.created"],
        "encryptedHeaders": {"X-Token": "header secret"},
        "secret": "0123456789abcdef0123456789abcdef",
    })
}

async fn the_console_and_the_api_share_one_webhook(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (session, key) = admin_key(&app).await;
    let me = user_id(&app, &session).await;

    let catalogue = json_ok(
        app.server_fn("event_types", Some(&session), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(catalogue.as_array().map(Vec::len), Some(9), "{catalogue}");

    let mut orders = draft("Orders");
    orders["origin"] = json!("api");
    let created = json_ok(
        app.console(&session, "create_webhook", json!({"draft": orders}))
            .await,
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created["origin"], "management-console",
        "the console is the origin"
    );
    assert_eq!(created["enabled"], true, "enabled by default");
    assert_eq!(created["level"], "tenant", "a TenantAdmin's default level");
    assert_eq!(created["ownerId"], me.as_str());
    assert_eq!(created["createdByUserId"], me.as_str());
    assert_eq!(created["secretKeyAdded"], true);
    assert_eq!(created["encryptedHeaders"], json!(["X-Token"]));
    assert!(created.get("secret").is_none(), "{created}");

    let (status, through_api) = answer(
        app.api("GET", &format!("/api/v1/webhooks/{id}"), &key, None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(through_api, created, "one resource behind both");

    let page = json_ok(
        app.console(
            &session,
            "list_webhooks",
            json!({"query": "name=ORD&sort=%2Bname&limit=5"}),
        )
        .await,
    )
    .await;
    assert_eq!(page["data"], json!([created]), "{page}");
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["prev"], Value::Null);

    let patched = json_ok(
        app.console(
            &session,
            "patch_webhook",
            json!({"id": id, "operations": [
                {"op": "replace", "path": "/enabled", "value": false},
                {"op": "add", "path": "/headers/X-Team", "value": "orders"},
            ]}),
        )
        .await,
    )
    .await;
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["headers"], json!({"X-Team": "orders"}));
    assert_eq!(patched["secretKeyAdded"], true, "a patch keeps the secret");
    assert_eq!(patched["encryptedHeaders"], json!(["X-Token"]));
    let fetched = json_ok(
        app.console(&session, "get_webhook", json!({"id": id}))
            .await,
    )
    .await;
    assert_eq!(fetched, patched);

    json_ok(
        app.console(&session, "delete_webhooks", json!({"ids": [id]}))
            .await,
    )
    .await;
    let gone = app_error(
        app.console(&session, "get_webhook", json!({"id": id}))
            .await,
    )
    .await;
    assert_eq!(gone, AppError::NotFound);
    let (status, _) = answer(
        app.api("GET", &format!("/api/v1/webhooks/{id}"), &key, None)
            .await,
    )
    .await;
    assert_eq!(status, 404);
}

async fn the_console_refuses_what_the_api_refuses(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (session, key) = admin_key(&app).await;
    for (field, value, pointer) in [
        ("url", json!("http://hooks.example.com/in"), "/url"),
        ("url", json!("https://127.0.0.1/in"), "/url"),
        ("secret", json!("too short"), "/secret"),
        (
            "eventTypes",
            json!(["com.example.unknown"]),
            "/eventTypes/0",
        ),
        (
            "headers",
            json!({"Host": "elsewhere.example.com"}),
            "/headers/Host",
        ),
        (
            "checkCertificateRevocation",
            json!(true),
            "/checkCertificateRevocation",
        ),
    ] {
        let mut body = draft("Refused");
        body[field] = value;
        let (status, api) = answer(
            app.api("POST", "/api/v1/webhooks", &key, Some(body.clone()))
                .await,
        )
        .await;
        assert_eq!(status, 400, "{field}: {api}");
        assert_eq!(pointer_of(&api), pointer, "{field}: {api}");
        let console = app_error(
            app.console(&session, "create_webhook", json!({"draft": body}))
                .await,
        )
        .await;
        assert_eq!(
            console,
            AppError::Invalid {
                field: pointer.to_owned(),
                message: api["errors"][0]["detail"]
                    .as_str()
                    .expect("detail")
                    .to_owned(),
            },
            "the console shows the API's message for {field}"
        );
    }
    let mut unknown_field = draft("Refused");
    unknown_field["colour"] = json!("red");
    let refused = app_error(
        app.console(&session, "create_webhook", json!({"draft": unknown_field}))
            .await,
    )
    .await;
    assert!(
        matches!(&refused, AppError::Invalid { message, .. } if message.contains("colour")),
        "an unknown field is refused: {refused:?}"
    );
    let unknown = app_error(
        app.console(&session, "list_webhooks", json!({"query": "colour=red"}))
            .await,
    )
    .await;
    assert!(
        matches!(&unknown, AppError::Invalid { field, .. } if field == "/colour"),
        "{unknown:?}"
    );
    let (status, listed) = answer(app.api("GET", "/api/v1/webhooks", &key, None).await).await;
    assert_eq!(status, 200);
    assert_eq!(listed["data"], json!([]), "nothing was stored");
}

async fn the_console_follows_the_callers_role(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, _) = admin_key(&app).await;
    let tenant_webhook = json_ok(
        app.console(
            &admin,
            "create_webhook",
            json!({"draft": draft("Tenant-wide")}),
        )
        .await,
    )
    .await;
    let tenant_id = tenant_webhook["id"].as_str().expect("id");
    let (user, user_id) = app
        .add_user(&admin, "use@example.com", "use-webhooks")
        .await;

    let own = json_ok(
        app.console(&user, "create_webhook", json!({"draft": draft("Mine")}))
            .await,
    )
    .await;
    assert_eq!(
        own["level"], "user",
        "a Use webhooks user makes user-level webhooks"
    );
    assert_eq!(own["ownerId"], user_id.as_str());
    let page = json_ok(
        app.console(&user, "list_webhooks", json!({"query": ""}))
            .await,
    )
    .await;
    assert_eq!(page["data"], json!([own]), "only their own webhooks");
    for (name, body) in [
        ("get_webhook", json!({"id": tenant_id})),
        (
            "patch_webhook",
            json!({"id": tenant_id, "operations": [{"op": "replace", "path": "/enabled", "value": false}]}),
        ),
    ] {
        let error = app_error(app.console(&user, name, body).await).await;
        assert_eq!(error, AppError::NotFound, "{name}");
    }
    // A webhook the caller cannot see counts as already gone: nothing is deleted.
    json_ok(
        app.console(&user, "delete_webhooks", json!({"ids": [tenant_id]}))
            .await,
    )
    .await;
    let mut tenant_level = draft("Not mine to make");
    tenant_level["level"] = json!("tenant");
    let refused = app_error(
        app.console(&user, "create_webhook", json!({"draft": tenant_level}))
            .await,
    )
    .await;
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    let still = json_ok(
        app.console(&admin, "get_webhook", json!({"id": tenant_id}))
            .await,
    )
    .await;
    assert_eq!(still, tenant_webhook, "the tenant webhook is unchanged");

    let signed_out = app_error(
        app.server_fn(
            "list_webhooks",
            None,
            ServerFnBody::Json(json!({"query": ""})),
        )
        .await,
    )
    .await;
    assert_eq!(signed_out, AppError::Unauthorized);
}

async fn tenant_admins_manage_custom_types_in_the_console(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, _) = admin_key(&app).await;
    let custom = json!({
        "event_type": {
            "name": "com.example.deploy.finished",
            "title": "Deploy finished",
            "description": "A deployment completed",
            "levels": ["tenant"],
            "category": "Deployments",
        },
        "example_data": "{\"service\": \"orders\", \"version\": 7}",
    });
    let created = json_ok(
        app.console(&admin, "create_event_type", custom.clone())
            .await,
    )
    .await;
    assert_eq!(created["name"], "com.example.deploy.finished");
    assert_eq!(
        created["exampleData"],
        "{\"service\":\"orders\",\"version\":7}"
    );
    let listed = json_ok(
        app.server_fn("custom_event_types", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(listed, json!([created]));
    let catalogue = json_ok(
        app.server_fn("event_types", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(catalogue.as_array().map(Vec::len), Some(10), "{catalogue}");

    let mut bad = custom.clone();
    bad["example_data"] = json!("{not json");
    let refused = app_error(app.console(&admin, "create_event_type", bad).await).await;
    assert!(
        matches!(&refused, AppError::Invalid { field, .. } if field == "/exampleData"),
        "{refused:?}"
    );

    let (manager, _) = app
        .add_user(&admin, "manager@example.com", "manage-webhooks")
        .await;
    let mut other = custom.clone();
    other["event_type"]["name"] = json!("com.example.deploy.started");
    for (name, body) in [
        ("create_event_type", other),
        (
            "delete_event_type",
            json!({"name": "com.example.deploy.finished"}),
        ),
    ] {
        let error = app_error(app.console(&manager, name, body).await).await;
        assert!(matches!(error, AppError::Forbidden(_)), "{name}: {error:?}");
    }
    let forbidden = app_error(
        app.server_fn("custom_event_types", Some(&manager), ServerFnBody::empty())
            .await,
    )
    .await;
    assert!(matches!(forbidden, AppError::Forbidden(_)), "{forbidden:?}");

    json_ok(
        app.console(
            &admin,
            "delete_event_type",
            json!({"name": "com.example.deploy.finished"}),
        )
        .await,
    )
    .await;
    let listed = json_ok(
        app.server_fn("custom_event_types", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(listed, json!([]));
}

async fn bulk_delete_counts_what_is_already_gone_as_deleted(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, _) = admin_key(&app).await;
    let mut ids = Vec::new();
    for name in ["First", "Second", "Third"] {
        let created = json_ok(
            app.console(&admin, "create_webhook", json!({"draft": draft(name)}))
                .await,
        )
        .await;
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    // Someone else deleted one meanwhile: the rest still go.
    let gone = "00000000-0000-4000-8000-000000000000";
    json_ok(
        app.console(
            &admin,
            "delete_webhooks",
            json!({"ids": [ids[0], gone, ids[2]]}),
        )
        .await,
    )
    .await;
    let page = json_ok(
        app.console(&admin, "list_webhooks", json!({"query": "sort=%2Bname"}))
            .await,
    )
    .await;
    let names: Vec<&str> = page["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|webhook| webhook["name"].as_str())
        .collect();
    assert_eq!(names, ["Second"]);
}

async fn the_owner_choices_follow_the_callers_role(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, _) = admin_key(&app).await;
    let admin_id = user_id(&app, &admin).await;
    let (manager, manager_id) = app
        .add_user(&admin, "manage@example.com", "manage-webhooks")
        .await;
    let (user, user_id) = app
        .add_user(&admin, "use@example.com", "use-webhooks")
        .await;
    let ids_of = |people: &Value| -> Vec<String> {
        let mut ids: Vec<String> = people
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|person| person["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    let mut everyone = vec![admin_id.clone(), manager_id.clone(), user_id.clone()];
    everyone.sort();
    for session in [&admin, &manager] {
        let people = json_ok(
            app.server_fn("people", Some(session), ServerFnBody::empty())
                .await,
        )
        .await;
        assert_eq!(ids_of(&people), everyone, "{people}");
    }
    let own = json_ok(
        app.server_fn("people", Some(&user), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(
        own,
        json!([{"id": user_id, "display_name": "Invited User", "email": "use@example.com", "active": true}]),
        "a Use webhooks user sees only themselves"
    );
}

async fn generated_secrets_are_new_and_valid(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, _) = admin_key(&app).await;
    let first = json_ok(
        app.server_fn("generate_secret", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    let second = json_ok(
        app.server_fn("generate_secret", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    let first = first.as_str().expect("a string");
    assert_eq!(first.len(), 48);
    assert_ne!(Some(first), second.as_str());
    let mut body = draft("Generated");
    body["secret"] = json!(first);
    let created = json_ok(
        app.console(&admin, "create_webhook", json!({"draft": body}))
            .await,
    )
    .await;
    assert_eq!(created["secretKeyAdded"], true);
    let signed_out = app_error(
        app.server_fn("generate_secret", None, ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(signed_out, AppError::Unauthorized);
}

/// The edit panel's model (app::webhooks::form) against the real service: what the panel
/// sends for a cleared description, a removed header and a removed secret does exactly that,
/// and an untouched secret survives every other change.
async fn the_edit_panels_patches_apply_as_the_panel_means(engine: Engine) {
    use app::webhooks::{
        form::{SecretChoice, WebhookForm},
        Webhook,
    };

    let app = TestApp::start(engine).await;
    let (admin, _) = admin_key(&app).await;
    let mut body = draft("Panel");
    body["description"] = json!("to be cleared");
    body["headers"] = json!({"X-Team": "orders"});
    let created = json_ok(
        app.console(&admin, "create_webhook", json!({"draft": body}))
            .await,
    )
    .await;
    let stored: Webhook = serde_json::from_value(created).expect("a webhook");

    let mut form = WebhookForm::from_webhook(&stored);
    form.description.clear();
    form.headers.retain(|row| row.name != "X-Team");
    form.enabled = false;
    let patched = json_ok(
        app.console(
            &admin,
            "patch_webhook",
            json!({"id": stored.id, "operations": form.patch(&stored)}),
        )
        .await,
    )
    .await;
    let patched: Webhook = serde_json::from_value(patched).expect("a webhook");
    assert_eq!(patched.description, None);
    assert!(patched.headers.is_empty());
    assert_eq!(
        patched.encrypted_headers,
        ["X-Token"],
        "the encrypted header stays"
    );
    assert!(!patched.enabled);
    assert!(patched.secret_key_added, "the untouched secret stays");

    let mut form = WebhookForm::from_webhook(&patched);
    form.secret_choice = SecretChoice::Remove;
    let without_secret = json_ok(
        app.console(
            &admin,
            "patch_webhook",
            json!({"id": stored.id, "operations": form.patch(&patched)}),
        )
        .await,
    )
    .await;
    assert_eq!(without_secret["secretKeyAdded"], false);
    assert_eq!(without_secret["encryptedHeaders"], json!(["X-Token"]));
}
