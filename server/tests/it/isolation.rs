//! Permissions and tenant isolation: each role's allowed and refused actions, and
//! probes from one tenant at every endpoint that takes another tenant's ids — 404 (or the
//! same refusal as for a missing row), and nothing changed.

use app::error::AppError;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{
    app_error, json_ok, link_token, session_cookie, Engine, ServerFnBody, TestApp, PASSWORD,
};

on_both_databases!(
    only_tenant_admins_manage_users_and_keys,
    another_tenants_rows_answer_404_and_stay_unchanged,
);

async fn only_tenant_admins_manage_users_and_keys(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let (_, target) = app
        .add_user(&admin, "target@example.com", "use-webhooks")
        .await;
    for role in ["manage-webhooks", "use-webhooks"] {
        let (session, _) = app
            .add_user(&admin, &format!("{role}@example.com"), role)
            .await;
        let calls: Vec<(&str, ServerFnBody)> = vec![
            ("list_users", ServerFnBody::empty()),
            ("list_api_keys", ServerFnBody::empty()),
            (
                "invite_user",
                ServerFnBody::Json(
                    json!({"email": "x@example.com", "display_name": "X", "role": "tenant-admin", "external_id": ""}),
                ),
            ),
            (
                "update_user",
                ServerFnBody::Json(
                    json!({"user_id": target, "display_name": "X", "role": "tenant-admin", "external_id": ""}),
                ),
            ),
            (
                "set_user_active",
                ServerFnBody::Json(json!({"user_id": target, "active": false})),
            ),
            (
                "password_reset_link",
                ServerFnBody::Json(json!({"user_id": target})),
            ),
            (
                "create_api_key",
                ServerFnBody::Json(
                    json!({"owner_id": target, "name": "k", "scopes": ["webhooks"]}),
                ),
            ),
        ];
        for (name, body) in calls {
            let error = app_error(app.server_fn(name, Some(&session), body).await).await;
            assert!(
                matches!(error, AppError::Forbidden(_)),
                "{role} {name}: {error:?}"
            );
        }
        for page in ["/admin/users", "/admin/api-keys"] {
            assert_eq!(
                app.page(page, Some(&session)).await.status(),
                403,
                "{role} {page}"
            );
        }
        // What every role may do: open the console, see itself, use a key, sign out.
        assert_eq!(app.page("/webhooks", Some(&session)).await.status(), 200);
        let me = json_ok(
            app.server_fn("current_user", Some(&session), ServerFnBody::empty())
                .await,
        )
        .await;
        assert_eq!(me["role"], role);
        let own_id = me["id"].as_str().expect("id").to_owned();
        let key = json_ok(
            app.server_fn(
                "create_api_key",
                Some(&admin),
                ServerFnBody::Json(
                    json!({"owner_id": own_id, "name": role, "scopes": ["webhooks"]}),
                ),
            )
            .await,
        )
        .await;
        let key = key["key"].as_str().expect("key");
        let whoami = json_ok(app.api_get("/api/v1/users/me", Some(key)).await).await;
        assert_eq!(whoami["id"], own_id.as_str(), "{role}: {whoami}");
        let signed_out = app
            .server_fn("sign_out", Some(&session), ServerFnBody::empty())
            .await;
        assert!(signed_out.status().is_redirection() || signed_out.status().is_success());
        assert_eq!(
            app.page("/webhooks", Some(&session)).await.status(),
            303,
            "{role}: the session ended"
        );
    }
    for page in ["/admin/users", "/admin/api-keys"] {
        assert_eq!(
            app.page(page, Some(&admin)).await.status(),
            200,
            "admin {page}"
        );
    }
    let users = json_ok(
        app.server_fn("list_users", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    let target_row = users
        .as_array()
        .expect("list")
        .iter()
        .find(|user| user["id"] == target.as_str())
        .expect("target");
    assert_eq!(
        target_row["role"], "use-webhooks",
        "refused changes left no trace"
    );
    assert_eq!(target_row["status"], "active");
}

/// A second tenant with its own signed-in TenantAdmin.
pub async fn second_tenant(app: &TestApp) -> String {
    let (_, link) = app
        .state
        .accounts
        .create_tenant("Other")
        .await
        .expect("tenant");
    let response = app
        .server_fn(
            "complete_setup",
            None,
            ServerFnBody::form(&[
                ("token", &link_token(&link.url)),
                ("email", "zed@other.example"),
                ("display_name", "Zed"),
                ("password", PASSWORD),
                ("confirmation", PASSWORD),
            ]),
        )
        .await;
    session_cookie(&response).expect("second tenant's admin")
}

async fn another_tenants_rows_answer_404_and_stay_unchanged(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let (_, bob) = app
        .add_user(&admin, "bob@example.com", "use-webhooks")
        .await;
    let key = json_ok(
        app.server_fn(
            "create_api_key",
            Some(&admin),
            ServerFnBody::Json(json!({"owner_id": bob, "name": "bob", "scopes": ["webhooks"]})),
        )
        .await,
    )
    .await;
    let key_id = key["summary"]["id"].as_str().expect("id").to_owned();
    let key = key["key"].as_str().expect("key").to_owned();

    let intruder = second_tenant(&app).await;
    let not_found: Vec<(&str, Value)> = vec![
        (
            "update_user",
            json!({"user_id": bob, "display_name": "Owned", "role": "tenant-admin", "external_id": ""}),
        ),
        ("set_user_active", json!({"user_id": bob, "active": false})),
        ("password_reset_link", json!({"user_id": bob})),
        ("revoke_api_key", json!({"key_id": key_id})),
    ];
    for (name, body) in not_found {
        let error = app_error(
            app.server_fn(name, Some(&intruder), ServerFnBody::Json(body))
                .await,
        )
        .await;
        assert_eq!(error, AppError::NotFound, "{name}");
    }
    // A key for another tenant's user is refused as if the user did not exist.
    let error = app_error(
        app.server_fn(
            "create_api_key",
            Some(&intruder),
            ServerFnBody::Json(json!({"owner_id": bob, "name": "stolen", "scopes": ["webhooks"]})),
        )
        .await,
    )
    .await;
    assert!(error.message_for("/ownerId").is_some(), "{error:?}");

    let theirs = json_ok(
        app.server_fn("list_users", Some(&intruder), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(theirs.as_array().expect("list").len(), 1, "{theirs}");
    let their_keys = json_ok(
        app.server_fn("list_api_keys", Some(&intruder), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(their_keys, json!([]));

    // Bob and his key are untouched.
    let me = json_ok(app.api_get("/api/v1/users/me", Some(&key)).await).await;
    assert_eq!(me["name"], "Invited User");
    assert_eq!(me["status"], "active");
    assert_eq!(me["permission"], "Use webhooks");
}
