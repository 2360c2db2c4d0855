//! Who may change which webhook, operation by operation: "Use webhooks" only on
//! their own user-level webhooks, "Manage webhooks" on everyone's (owners included), quotas
//! that follow an owner change, and keys without the `webhooks` scope.

use serde_json::{json, Value};

use crate::{
    on_both_databases,
    support::{json_ok, Engine, ServerFnBody, TestApp, PASSWORD},
    webhooks::{admin_key, answer, key_for, pointer_of, user_id, webhook},
};

on_both_databases!(
    use_webhooks_users_change_only_their_own,
    managers_edit_delete_and_reassign_everyones,
    an_owner_at_the_quota_cannot_be_given_another_webhook,
    keys_without_the_webhooks_scope_are_refused,
    owners_are_active_users_of_the_same_tenant,
    custom_types_stay_in_their_tenant,
);

fn path_of(webhook: &Value) -> String {
    format!("/api/v1/webhooks/{}", webhook["id"].as_str().expect("id"))
}

fn replace(path: &str, value: Value) -> Value {
    json!([{"op": "replace", "path": path, "value": value}])
}

/// A user with `role` and a `webhooks` key of theirs: (user id, key).
async fn member(app: &TestApp, admin: &str, email: &str, role: &str) -> (String, String) {
    let (_, id) = app.add_user(admin, email, role).await;
    let key = key_for(app, admin, &id).await;
    (id, key)
}

/// Replaces one field of the webhook at `path` with a JSON Patch: the status and the answer.
async fn patch_field(
    app: &TestApp,
    key: &str,
    path: &str,
    field: &str,
    value: Value,
) -> (u16, Value) {
    answer(
        app.api("PATCH", path, key, Some(replace(field, value)))
            .await,
    )
    .await
}

async fn create(app: &TestApp, key: &str, body: Value) -> Value {
    let (status, created) =
        answer(app.api("POST", "/api/v1/webhooks", key, Some(body)).await).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn use_webhooks_users_change_only_their_own(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, _) = admin_key(&app).await;
    let (ann_id, ann) = member(&app, &admin, "ann@example.com", "use-webhooks").await;
    let (_, bob) = member(&app, &admin, "bob@example.com", "use-webhooks").await;
    let own = create(&app, &ann, webhook("Ann's")).await;
    let bobs = create(&app, &bob, webhook("Bob's")).await;
    let own_path = path_of(&own);

    // Their own: PUT, PATCH and DELETE work.
    let mut replaced = webhook("Ann's, replaced");
    replaced["enabled"] = json!(true);
    let (status, after_put) = answer(app.api("PUT", &own_path, &ann, Some(replaced)).await).await;
    assert_eq!(status, 200, "{after_put}");
    assert_eq!(after_put["name"], "Ann's, replaced");
    assert_eq!(
        (after_put["level"].as_str(), after_put["ownerId"].as_str()),
        (Some("user"), Some(ann_id.as_str()))
    );
    let (status, _) = patch_field(&app, &ann, &own_path, "/name", json!("Ann's, patched")).await;
    assert_eq!(status, 204);

    // Giving it away or making it tenant-level: visible, so 403, and nothing changes.
    let bob_id = bobs["ownerId"].as_str().expect("owner").to_owned();
    for patch in [
        replace("/ownerId", json!(bob_id)),
        replace("/level", json!("tenant")),
    ] {
        let (status, error) =
            answer(app.api("PATCH", &own_path, &ann, Some(patch.clone())).await).await;
        assert_eq!(status, 403, "{patch}: {error}");
    }
    let mut given_away = webhook("Bob's now");
    given_away["ownerId"] = json!(bob_id);
    let (status, _) = answer(app.api("PUT", &own_path, &ann, Some(given_away)).await).await;
    assert_eq!(status, 403);
    let (_, still) = answer(app.api("GET", &own_path, &ann, None).await).await;
    assert_eq!(still["name"], "Ann's, patched");
    assert_eq!(still["ownerId"], ann_id.as_str());

    // Another user's user-level webhook does not exist for them.
    let bobs_path = path_of(&bobs);
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(webhook("Taken"))),
        ("PATCH", Some(replace("/enabled", json!(false)))),
        ("DELETE", None),
    ] {
        let (status, _) = answer(app.api(method, &bobs_path, &ann, body).await).await;
        assert_eq!(status, 404, "{method}");
    }
    let (_, bobs_still) = answer(app.api("GET", &bobs_path, &bob, None).await).await;
    assert_eq!(bobs_still, bobs, "Bob's webhook is unchanged");

    let response = app.api("DELETE", &own_path, &ann, None).await;
    assert_eq!(response.status(), 204);
    let (status, _) = answer(app.api("GET", &own_path, &ann, None).await).await;
    assert_eq!(status, 404);
}

async fn managers_edit_delete_and_reassign_everyones(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, admin_key) = admin_key(&app).await;
    let (manager_id, manager) = member(&app, &admin, "max@example.com", "manage-webhooks").await;
    let (ann_id, ann) = member(&app, &admin, "ann@example.com", "use-webhooks").await;
    let (bob_id, bob) = member(&app, &admin, "bob@example.com", "use-webhooks").await;
    let anns = create(&app, &ann, webhook("Ann's")).await;
    let path = path_of(&anns);

    let (status, _) = patch_field(
        &app,
        &manager,
        &path,
        "/description",
        json!("checked by Max"),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = patch_field(&app, &manager, &path, "/ownerId", json!(bob_id)).await;
    assert_eq!(status, 204, "a manager may reassign the owner");
    let (_, moved) = answer(app.api("GET", &path, &bob, None).await).await;
    assert_eq!(moved["ownerId"], bob_id.as_str());
    assert_eq!(moved["level"], "user");
    assert_eq!(moved["updatedByUserId"], manager_id.as_str());
    assert_eq!(moved["createdByUserId"], ann_id.as_str());
    let (status, _) = answer(app.api("GET", &path, &ann, None).await).await;
    assert_eq!(status, 404, "Ann no longer owns it");

    let mut replaced = webhook("Max's rewrite");
    replaced["ownerId"] = json!(manager_id);
    let (status, after_put) = answer(app.api("PUT", &path, &manager, Some(replaced)).await).await;
    assert_eq!(status, 200, "{after_put}");
    assert_eq!(after_put["ownerId"], manager_id.as_str());

    let mut nobody = webhook("Nobody's");
    nobody["ownerId"] = json!("no-such-user");
    let (status, _) = answer(app.api("PUT", &path, &manager, Some(nobody)).await).await;
    assert_eq!(status, 400, "the owner must be a user of the tenant");

    let tenant_hook = create(&app, &admin_key, webhook("Tenant-wide")).await;
    let (status, _) = patch_field(
        &app,
        &manager,
        &path_of(&tenant_hook),
        "/ownerId",
        json!(ann_id),
    )
    .await;
    assert_eq!(status, 204, "a manager may edit a tenant-level webhook");
    let response = app
        .api("DELETE", &path_of(&tenant_hook), &manager, None)
        .await;
    assert_eq!(response.status(), 204);
    let response = app.api("DELETE", &path, &manager, None).await;
    assert_eq!(response.status(), 204);
    let (_, left) = answer(app.api("GET", "/api/v1/webhooks", &admin_key, None).await).await;
    assert_eq!(left["data"], json!([]));
}

async fn an_owner_at_the_quota_cannot_be_given_another_webhook(engine: Engine) {
    let app =
        TestApp::start_with_services(engine, |settings| settings.webhooks.per_owner = 2).await;
    let (admin, admin_key) = admin_key(&app).await;
    let (ann_id, ann) = member(&app, &admin, "ann@example.com", "use-webhooks").await;
    create(&app, &ann, webhook("One")).await;
    create(&app, &ann, webhook("Two")).await;
    let mut third = webhook("Three");
    third["ownerId"] = json!(ann_id);
    third["level"] = json!("user");
    let (status, error) = answer(
        app.api("POST", "/api/v1/webhooks", &admin_key, Some(third))
            .await,
    )
    .await;
    assert_eq!(status, 403, "{error}");

    let admins = create(&app, &admin_key, webhook("Admin's")).await;
    let path = path_of(&admins);
    for (method, body) in [
        ("PATCH", replace("/ownerId", json!(ann_id))),
        ("PUT", {
            let mut body = webhook("Admin's");
            body["ownerId"] = json!(ann_id);
            body
        }),
    ] {
        let (status, error) = answer(app.api(method, &path, &admin_key, Some(body)).await).await;
        assert_eq!(status, 403, "{method}: {error}");
        assert!(
            error["errors"][0]["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("limit of 2"),
            "{error}"
        );
    }
    let (_, unchanged) = answer(app.api("GET", &path, &admin_key, None).await).await;
    assert_eq!(unchanged, admins, "nothing changed");
    let (status, _) =
        patch_field(&app, &admin_key, &path, "/name", json!("Admin's, renamed")).await;
    assert_eq!(
        status, 204,
        "an edit that keeps the owner is not a new webhook"
    );
}

async fn keys_without_the_webhooks_scope_are_refused(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, admin_key) = admin_key(&app).await;
    let me = crate::webhooks::user_id(&app, &admin).await;
    let publish_only = json_ok(
        app.server_fn(
            "create_api_key",
            Some(&admin),
            ServerFnBody::Json(
                json!({"owner_id": me, "name": "publisher", "scopes": ["events:publish"]}),
            ),
        )
        .await,
    )
    .await["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let existing = create(&app, &admin_key, webhook("Existing")).await;
    let path = path_of(&existing);
    for (method, target, body) in [
        ("GET", "/api/v1/webhooks".to_owned(), None),
        ("POST", "/api/v1/webhooks".to_owned(), Some(webhook("New"))),
        ("GET", path.clone(), None),
        ("PUT", path.clone(), Some(webhook("Replaced"))),
        (
            "PATCH",
            path.clone(),
            Some(replace("/enabled", json!(false))),
        ),
        ("DELETE", path.clone(), None),
        ("GET", "/api/v1/webhooks/event-types".to_owned(), None),
    ] {
        let (status, error) = answer(app.api(method, &target, &publish_only, body).await).await;
        assert_eq!(status, 403, "{method} {target}: {error}");
        assert_eq!(error["errors"][0]["code"], "forbidden", "{error}");
    }
    let (_, unchanged) = answer(app.api("GET", &path, &admin_key, None).await).await;
    assert_eq!(unchanged, existing);
}

/// The first admin of a second tenant, signed in, with a `webhooks` key: (user id, key).
async fn other_tenant_admin(app: &TestApp) -> (String, String) {
    let (tenant, _) = app
        .state
        .accounts
        .create_tenant("Other")
        .await
        .expect("tenant");
    app.state
        .accounts
        .create_admin(&tenant, "eve@example.com", "Eve", PASSWORD)
        .await
        .expect("admin");
    let session = app.sign_in("eve@example.com", PASSWORD).await;
    let id = user_id(app, &session).await;
    let key = key_for(app, &session, &id).await;
    (id, key)
}

async fn owners_are_active_users_of_the_same_tenant(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (admin, admin_key) = admin_key(&app).await;
    let (gone_id, _) = member(&app, &admin, "gone@example.com", "use-webhooks").await;
    json_ok(
        app.server_fn(
            "set_user_active",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": gone_id, "active": false})),
        )
        .await,
    )
    .await;
    let (eve_id, _) = other_tenant_admin(&app).await;
    let existing = create(&app, &admin_key, webhook("Existing")).await;
    for owner in [gone_id.as_str(), eve_id.as_str()] {
        let mut body = webhook("Owned elsewhere");
        body["ownerId"] = json!(owner);
        body["level"] = json!("user");
        let (status, error) = answer(
            app.api("POST", "/api/v1/webhooks", &admin_key, Some(body))
                .await,
        )
        .await;
        assert_eq!(
            (status, pointer_of(&error)),
            (400, "/ownerId"),
            "{owner}: {error}"
        );
        let (status, error) = patch_field(
            &app,
            &admin_key,
            &path_of(&existing),
            "/ownerId",
            json!(owner),
        )
        .await;
        assert_eq!(
            (status, pointer_of(&error)),
            (400, "/ownerId"),
            "{owner}: {error}"
        );
    }
    let (_, unchanged) = answer(app.api("GET", &path_of(&existing), &admin_key, None).await).await;
    assert_eq!(unchanged, existing);
}

async fn custom_types_stay_in_their_tenant(engine: Engine) {
    let app = TestApp::start(engine).await;
    let (_, admin_key) = admin_key(&app).await;
    let (_, eve) = other_tenant_admin(&app).await;
    let custom = json!({
        "name": "com.example.build.finished", "title": "Build finished", "levels": ["tenant", "user"],
        "category": "Builds", "exampleData": {"ok": true}
    });
    let (status, _) = answer(
        app.api(
            "POST",
            "/api/v1/webhooks/event-types",
            &admin_key,
            Some(custom.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let names = |catalogue: &Value| -> Vec<String> {
        catalogue["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|event_type| event_type["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let (_, ours) = answer(
        app.api("GET", "/api/v1/webhooks/event-types", &admin_key, None)
            .await,
    )
    .await;
    let (_, theirs) = answer(
        app.api("GET", "/api/v1/webhooks/event-types", &eve, None)
            .await,
    )
    .await;
    assert!(
        names(&ours).contains(&"com.example.build.finished".to_owned()),
        "{ours}"
    );
    assert!(
        !names(&theirs).contains(&"com.example.build.finished".to_owned()),
        "{theirs}"
    );

    let mut subscribing = webhook("Builds");
    subscribing["eventTypes"] = json!(["com.example.build.finished"]);
    let (status, error) = answer(
        app.api("POST", "/api/v1/webhooks", &eve, Some(subscribing.clone()))
            .await,
    )
    .await;
    assert_eq!(
        (status, pointer_of(&error)),
        (400, "/eventTypes/0"),
        "{error}"
    );
    let response = app
        .api(
            "DELETE",
            "/api/v1/webhooks/event-types/com.example.build.finished",
            &eve,
            None,
        )
        .await;
    assert_eq!(
        response.status(),
        404,
        "another tenant's type does not exist for them"
    );
    // The other tenant may define the same name for itself.
    let (status, _) = answer(
        app.api("POST", "/api/v1/webhooks/event-types", &eve, Some(custom))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    create(&app, &admin_key, subscribing).await;
}
