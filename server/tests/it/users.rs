//! Invite and reset links, user changes and deactivation, on both databases.

use app::error::AppError;
use serde_json::json;

use crate::on_both_databases;
use crate::support::{
    app_error, json_ok, link_token, session_cookie, Engine, ServerFnBody, TestApp, PASSWORD,
};

on_both_databases!(
    an_invite_link_works_once,
    a_reset_link_works_once_and_ends_other_sessions,
    deactivation_revokes_sessions_keys_and_links,
    the_tenant_keeps_an_active_admin,
    two_admins_demoting_each_other_at_once_leave_one,
    external_ids_are_unique_in_a_tenant,
);

async fn an_invite_link_works_once(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let link = json_ok(
        app.server_fn(
            "invite_user",
            Some(&admin),
            ServerFnBody::Json(json!({
                "email": "Bob@Example.com", "display_name": "Bob", "role": "manage-webhooks", "external_id": "u-42"
            })),
        )
        .await,
    )
    .await;
    let token = link_token(link["url"].as_str().expect("url"));
    let users = json_ok(
        app.server_fn("list_users", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    let bob = users
        .as_array()
        .expect("list")
        .iter()
        .find(|user| user["email"] == "bob@example.com")
        .expect("bob listed");
    assert_eq!(bob["status"], "invited");
    assert_eq!(bob["external_id"], "u-42");
    // An invited user cannot sign in before choosing a password.
    assert!(app.sign_in_fails("bob@example.com", PASSWORD).await);

    let details = json_ok(
        app.server_fn(
            "check_link",
            None,
            ServerFnBody::form(&[("purpose", "invite"), ("token", &token)]),
        )
        .await,
    )
    .await;
    assert_eq!(details["email"], "bob@example.com");

    let accept = |confirmation: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.server_fn(
                "accept_invite",
                None,
                ServerFnBody::form(&[
                    ("token", &token),
                    ("display_name", "Bob B."),
                    ("password", PASSWORD),
                    ("confirmation", confirmation),
                ]),
            )
            .await
        }
    };
    let mismatch = app_error(accept("something else entirely").await).await;
    assert!(
        mismatch.message_for("/confirmation").is_some(),
        "{mismatch:?}"
    );
    let session = session_cookie(&accept(PASSWORD).await).expect("invite accepted");
    let me = json_ok(
        app.server_fn("current_user", Some(&session), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(me["display_name"], "Bob B.");
    assert_eq!(me["role"], "manage-webhooks");

    let reused = app_error(accept(PASSWORD).await).await;
    assert!(reused.message_for("/token").is_some(), "{reused:?}");
    app.sign_in("bob@example.com", PASSWORD).await;
}

async fn a_reset_link_works_once_and_ends_other_sessions(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let (bob_session, bob_id) = app
        .add_user(&admin, "bob@example.com", "use-webhooks")
        .await;
    let link = json_ok(
        app.server_fn(
            "password_reset_link",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": bob_id})),
        )
        .await,
    )
    .await;
    let token = link_token(link["url"].as_str().expect("url"));
    let new_password = "a brand new passphrase";
    let reset = || {
        app.server_fn(
            "reset_password",
            None,
            ServerFnBody::form(&[
                ("token", &token),
                ("password", new_password),
                ("confirmation", new_password),
            ]),
        )
    };
    let fresh = session_cookie(&reset().await).expect("signed in after reset");
    assert_eq!(
        app.page("/webhooks", Some(&bob_session)).await.status(),
        303,
        "old session ended"
    );
    assert_eq!(app.page("/webhooks", Some(&fresh)).await.status(), 200);
    assert!(app.sign_in_fails("bob@example.com", PASSWORD).await);
    app.sign_in("bob@example.com", new_password).await;
    let reused = app_error(reset().await).await;
    assert!(reused.message_for("/token").is_some(), "{reused:?}");

    // A reset link expires after an hour.
    let link = json_ok(
        app.server_fn(
            "password_reset_link",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": bob_id})),
        )
        .await,
    )
    .await;
    app.clock.advance(time::Duration::minutes(61));
    let expired = app_error(
        app.server_fn(
            "reset_password",
            None,
            ServerFnBody::form(&[
                ("token", &link_token(link["url"].as_str().expect("url"))),
                ("password", PASSWORD),
                ("confirmation", PASSWORD),
            ]),
        )
        .await,
    )
    .await;
    assert!(expired.message_for("/token").is_some(), "{expired:?}");
}

async fn deactivation_revokes_sessions_keys_and_links(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let (bob_session, bob_id) = app
        .add_user(&admin, "bob@example.com", "manage-webhooks")
        .await;
    let key = json_ok(
        app.server_fn(
            "create_api_key",
            Some(&admin),
            ServerFnBody::Json(
                json!({"owner_id": bob_id, "name": "bob's key", "scopes": ["webhooks"]}),
            ),
        )
        .await,
    )
    .await;
    let key = key["key"].as_str().expect("key").to_owned();
    assert_eq!(
        app.api_get("/api/v1/users/me", Some(&key)).await.status(),
        200
    );
    let link = json_ok(
        app.server_fn(
            "password_reset_link",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": bob_id})),
        )
        .await,
    )
    .await;

    let bob = json_ok(
        app.server_fn(
            "set_user_active",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": bob_id, "active": false})),
        )
        .await,
    )
    .await;
    assert_eq!(bob["status"], "deactivated");
    assert_eq!(
        app.page("/webhooks", Some(&bob_session)).await.status(),
        303
    );
    assert_eq!(
        app.api_get("/api/v1/users/me", Some(&key)).await.status(),
        401
    );
    assert!(app.sign_in_fails("bob@example.com", PASSWORD).await);
    let reset = app_error(
        app.server_fn(
            "reset_password",
            None,
            ServerFnBody::form(&[
                ("token", &link_token(link["url"].as_str().expect("url"))),
                ("password", PASSWORD),
                ("confirmation", PASSWORD),
            ]),
        )
        .await,
    )
    .await;
    assert!(reset.message_for("/token").is_some(), "{reset:?}");

    // Activated again: signs in, but the old key stays revoked.
    json_ok(
        app.server_fn(
            "set_user_active",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": bob_id, "active": true})),
        )
        .await,
    )
    .await;
    app.sign_in("bob@example.com", PASSWORD).await;
    assert_eq!(
        app.api_get("/api/v1/users/me", Some(&key)).await.status(),
        401
    );
}

async fn the_tenant_keeps_an_active_admin(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let me = json_ok(
        app.server_fn("current_user", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    let my_id = me["id"].as_str().expect("id").to_owned();
    let demote = app_error(
        app.server_fn(
            "update_user",
            Some(&admin),
            ServerFnBody::Json(json!({
                "user_id": my_id, "display_name": "Ada", "role": "use-webhooks", "external_id": ""
            })),
        )
        .await,
    )
    .await;
    assert!(matches!(demote, AppError::Conflict(_)), "{demote:?}");
    let deactivate = app_error(
        app.server_fn(
            "set_user_active",
            Some(&admin),
            ServerFnBody::Json(json!({"user_id": my_id, "active": false})),
        )
        .await,
    )
    .await;
    assert!(
        matches!(deactivate, AppError::Forbidden(_)),
        "{deactivate:?}"
    );
    // Nothing changed.
    let me = json_ok(
        app.server_fn("current_user", Some(&admin), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(me["role"], "tenant-admin");
}

async fn two_admins_demoting_each_other_at_once_leave_one(engine: Engine) {
    let app = std::sync::Arc::new(TestApp::start(engine).await);
    let ada = app.first_admin("ada@example.com").await;
    let (bob, bob_id) = app.add_user(&ada, "bob@example.com", "tenant-admin").await;
    let me = json_ok(
        app.server_fn("current_user", Some(&ada), ServerFnBody::empty())
            .await,
    )
    .await;
    let ada_id = me["id"].as_str().expect("id").to_owned();
    let demote = |session: String, target: String| {
        let app = app.clone();
        tokio::spawn(async move {
            app.server_fn(
                "update_user",
                Some(&session),
                ServerFnBody::Json(json!({
                    "user_id": target, "display_name": "Demoted", "role": "use-webhooks",
                    "external_id": ""
                })),
            )
            .await
            .status()
        })
    };
    let (first, second) = (demote(ada.clone(), bob_id), demote(bob.clone(), ada_id));
    let statuses = [first.await.expect("ran"), second.await.expect("ran")];
    assert_eq!(
        statuses.iter().filter(|status| status.is_success()).count(),
        1,
        "exactly one demotion wins: {statuses:?}"
    );
    // Whoever was not demoted is still an active TenantAdmin and can list the users.
    let survivor = if statuses[0].is_success() { ada } else { bob };
    let users = json_ok(
        app.server_fn("list_users", Some(&survivor), ServerFnBody::empty())
            .await,
    )
    .await;
    let admins = users
        .as_array()
        .expect("list")
        .iter()
        .filter(|user| user["role"] == "tenant-admin" && user["status"] == "active")
        .count();
    assert_eq!(admins, 1, "{users}");
}

async fn external_ids_are_unique_in_a_tenant(engine: Engine) {
    let app = TestApp::start(engine).await;
    let admin = app.first_admin("ada@example.com").await;
    let (_, bob_id) = app
        .add_user(&admin, "bob@example.com", "use-webhooks")
        .await;
    let (_, carol_id) = app
        .add_user(&admin, "carol@example.com", "use-webhooks")
        .await;
    let set_external = |user_id: String| {
        app.server_fn(
            "update_user",
            Some(&admin),
            ServerFnBody::Json(json!({
                "user_id": user_id, "display_name": "Someone", "role": "use-webhooks", "external_id": " ext-1 "
            })),
        )
    };
    let bob = json_ok(set_external(bob_id).await).await;
    assert_eq!(bob["external_id"], "ext-1");
    let clash = app_error(set_external(carol_id).await).await;
    assert!(clash.message_for("/externalId").is_some(), "{clash:?}");
    let taken = app_error(
        app.server_fn(
            "invite_user",
            Some(&admin),
            ServerFnBody::Json(json!({
                "email": "BOB@example.com", "display_name": "Bob 2", "role": "use-webhooks", "external_id": ""
            })),
        )
        .await,
    )
    .await;
    assert!(taken.message_for("/email").is_some(), "{taken:?}");
}
