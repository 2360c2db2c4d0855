//! Setup link, sign-in, throttling, sessions and sign-out (SPEC §4.3), on both databases.

use std::net::SocketAddr;

use app::error::AppError;
use axum::{body::Body, extract::ConnectInfo, http::Request};
use time::Duration;

use crate::on_both_databases;
use crate::support::{
    app_error, json_ok, link_token, session_cookie, Engine, ServerFnBody, TestApp, PASSWORD,
};

on_both_databases!(
    the_setup_link_creates_the_first_admin_once,
    a_setup_link_expires_after_an_hour,
    sign_in_accepts_the_right_password_only,
    failed_sign_ins_are_throttled_per_account,
    failed_sign_ins_are_throttled_per_client_address,
    sessions_end_after_12_idle_hours,
    sessions_end_7_days_after_sign_in,
    sign_out_ends_the_session,
    signed_out_visitors_are_sent_to_sign_in_and_back,
    a_cross_site_post_is_refused,
);

async fn complete_setup(app: &TestApp, token: &str, email: &str) -> axum::response::Response {
    app.server_fn(
        "complete_setup",
        None,
        ServerFnBody::form(&[
            ("token", token),
            ("email", email),
            ("display_name", "Ada"),
            ("password", PASSWORD),
            ("confirmation", PASSWORD),
        ]),
    )
    .await
}

async fn the_setup_link_creates_the_first_admin_once(engine: Engine) {
    let app = TestApp::start(engine).await;
    let link = app
        .state
        .accounts
        .bootstrap()
        .await
        .expect("bootstrap")
        .expect("a fresh install gets a setup link");
    assert!(
        link.url.starts_with("http://herald.test:3000/setup?token="),
        "{}",
        link.url
    );
    let token = link_token(&link.url);

    let details = json_ok(
        app.server_fn(
            "check_link",
            None,
            ServerFnBody::form(&[("purpose", "setup"), ("token", &token)]),
        )
        .await,
    )
    .await;
    assert_eq!(details["purpose"], "setup");

    let response = complete_setup(&app, &token, "Ada@Example.com").await;
    let session = session_cookie(&response).expect("signed in after setup");
    let me = json_ok(
        app.server_fn("current_user", Some(&session), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["role"], "tenant-admin");

    let again = app_error(complete_setup(&app, &token, "eve@example.com").await).await;
    assert!(again.message_for("/token").is_some(), "{again:?}");
    assert!(
        app.state
            .accounts
            .bootstrap()
            .await
            .expect("bootstrap")
            .is_none(),
        "no new setup link once a user exists"
    );
    assert!(app.sign_in_fails("eve@example.com", PASSWORD).await);
}

async fn a_setup_link_expires_after_an_hour(engine: Engine) {
    let app = TestApp::start(engine).await;
    let link = app
        .state
        .accounts
        .bootstrap()
        .await
        .expect("bootstrap")
        .expect("link");
    app.clock.advance(Duration::minutes(61));
    let error =
        app_error(complete_setup(&app, &link_token(&link.url), "ada@example.com").await).await;
    assert!(
        error
            .message_for("/token")
            .is_some_and(|m| m.contains("expired")),
        "{error:?}"
    );
}

async fn sign_in_accepts_the_right_password_only(engine: Engine) {
    let app = TestApp::start(engine).await;
    app.first_admin("ada@example.com").await;
    let error = app_error(
        app.server_fn(
            "sign_in",
            None,
            ServerFnBody::form(&[
                ("email", "ada@example.com"),
                ("password", "wrong password!"),
            ]),
        )
        .await,
    )
    .await;
    assert_eq!(
        error,
        AppError::invalid(
            "/password",
            "The e-mail address or password is not correct."
        )
    );
    // An unknown address gets the same answer.
    let unknown = app_error(
        app.server_fn(
            "sign_in",
            None,
            ServerFnBody::form(&[("email", "nobody@example.com"), ("password", PASSWORD)]),
        )
        .await,
    )
    .await;
    assert_eq!(unknown, error);
    // Addresses are matched whatever their case.
    let session = app.sign_in(" ADA@example.com ", PASSWORD).await;
    assert_eq!(app.page("/webhooks", Some(&session)).await.status(), 200);
}

async fn failed_sign_ins_are_throttled_per_account(engine: Engine) {
    let app = TestApp::start(engine).await;
    app.first_admin("ada@example.com").await;
    for _ in 0..5 {
        assert!(
            app.sign_in_fails("ada@example.com", "wrong password!")
                .await
        );
    }
    let refused = app_error(
        app.server_fn(
            "sign_in",
            None,
            ServerFnBody::form(&[("email", "ada@example.com"), ("password", PASSWORD)]),
        )
        .await,
    )
    .await;
    assert!(
        matches!(
            refused,
            AppError::TooManyRequests {
                retry_after_secs: 900,
                ..
            }
        ),
        "{refused:?}"
    );
    app.clock.advance(Duration::minutes(15));
    app.sign_in("ada@example.com", PASSWORD).await;
}

async fn failed_sign_ins_are_throttled_per_client_address(engine: Engine) {
    let app = TestApp::start(engine).await;
    app.first_admin("ada@example.com").await;
    let from = |email: &str, password: &str| {
        let mut request = Request::post("/api/sign_in")
            .header("origin", crate::support::PUBLIC_URL)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "email={}&password={}",
                url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>(),
                url::form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
            )))
            .expect("request");
        request.extensions_mut().insert(ConnectInfo(
            "198.51.100.7:40000".parse::<SocketAddr>().expect("addr"),
        ));
        request
    };
    for n in 0..20 {
        let response = app
            .send(from(&format!("guess{n}@example.com"), "wrong password!"))
            .await;
        assert!(!response.status().is_success());
    }
    let refused = app_error(app.send(from("ada@example.com", PASSWORD)).await).await;
    assert!(
        matches!(refused, AppError::TooManyRequests { .. }),
        "{refused:?}"
    );
    // Another address is not affected.
    app.sign_in("ada@example.com", PASSWORD).await;
}

async fn sessions_end_after_12_idle_hours(engine: Engine) {
    let app = TestApp::start(engine).await;
    let session = app.first_admin("ada@example.com").await;
    for _ in 0..3 {
        app.clock.advance(Duration::hours(11));
        assert_eq!(app.page("/webhooks", Some(&session)).await.status(), 200);
    }
    app.clock.advance(Duration::hours(12));
    let response = app.page("/webhooks", Some(&session)).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/sign-in?next=%2Fwebhooks");
}

async fn sessions_end_7_days_after_sign_in(engine: Engine) {
    let app = TestApp::start(engine).await;
    let session = app.first_admin("ada@example.com").await;
    // Active every 10 hours, so never idle: the absolute limit still ends it.
    let mut elapsed = Duration::ZERO;
    while elapsed + Duration::hours(10) < Duration::days(7) {
        app.clock.advance(Duration::hours(10));
        elapsed += Duration::hours(10);
        assert_eq!(
            app.page("/webhooks", Some(&session)).await.status(),
            200,
            "after {elapsed}"
        );
    }
    app.clock.advance(Duration::days(7) - elapsed);
    assert_eq!(app.page("/webhooks", Some(&session)).await.status(), 303);
}

async fn sign_out_ends_the_session(engine: Engine) {
    let app = TestApp::start(engine).await;
    let session = app.first_admin("ada@example.com").await;
    let response = app
        .server_fn("sign_out", Some(&session), ServerFnBody::empty())
        .await;
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.starts_with("herald_session=;") && value.contains("Max-Age=0"));
    assert!(cleared, "{:?}", response.headers());
    assert_eq!(app.page("/webhooks", Some(&session)).await.status(), 303);
}

async fn signed_out_visitors_are_sent_to_sign_in_and_back(engine: Engine) {
    let app = TestApp::start(engine).await;
    app.first_admin("ada@example.com").await;
    let response = app.page("/admin/users?view=all", None).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/sign-in?next=%2Fadmin%2Fusers%3Fview%3Dall"
    );
    for public in [
        "/sign-in",
        "/setup?token=x",
        "/invite?token=x",
        "/reset-password?token=x",
    ] {
        assert_eq!(app.page(public, None).await.status(), 200, "{public}");
    }
    // Signing in with `next` comes back to where the visitor was going.
    let response = app
        .server_fn(
            "sign_in",
            None,
            ServerFnBody::form(&[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", "/admin/users?view=all"),
            ]),
        )
        .await;
    assert_eq!(response.headers()["location"], "/admin/users?view=all");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("herald_session="))
        .expect("session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP public URL: {cookie}"
    );
}

async fn a_cross_site_post_is_refused(engine: Engine) {
    let app = TestApp::start(engine).await;
    let session = app.first_admin("ada@example.com").await;
    let forged = |origin: Option<&str>, site: Option<&str>| {
        let mut request = Request::post("/api/invite_user")
            .header("cookie", format!("herald_session={session}"))
            .header("content-type", "application/json");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request
            .body(Body::from(
                r#"{"email":"mallory@example.com","display_name":"M","role":"tenant-admin","external_id":""}"#,
            ))
            .expect("request")
    };
    for (origin, site) in [
        (Some("https://evil.example"), Some("cross-site")),
        (Some("https://evil.example"), None),
        (None, Some("same-site")),
        (None, None),
    ] {
        let response = app.send(forged(origin, site)).await;
        assert_eq!(response.status(), 403, "{origin:?} {site:?}");
    }
    let users = json_ok(
        app.server_fn("list_users", Some(&session), ServerFnBody::empty())
            .await,
    )
    .await;
    assert_eq!(
        users.as_array().expect("list").len(),
        1,
        "nothing was created: {users}"
    );
}

impl TestApp {
    /// Whether signing in with these credentials is refused.
    pub async fn sign_in_fails(&self, email: &str, password: &str) -> bool {
        let response = self
            .server_fn(
                "sign_in",
                None,
                ServerFnBody::form(&[("email", email), ("password", password)]),
            )
            .await;
        session_cookie(&response).is_none() && !response.status().is_success()
    }
}
