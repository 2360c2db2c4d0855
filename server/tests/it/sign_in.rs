//! Setup link, sign-in, throttling, sessions and sign-out, on both databases.

use std::net::SocketAddr;

use app::error::AppError;
use axum::{body::Body, extract::ConnectInfo, http::Request};
use server::accounts::AccountSettings;
use time::Duration;

use crate::on_both_databases;
use crate::support::{
    account_settings, app_error, json_ok, link_token, session_cookie, Engine, ServerFnBody,
    TestApp, PASSWORD,
};

on_both_databases!(
    the_setup_link_creates_the_first_admin_once,
    a_setup_link_expires_after_an_hour,
    an_operator_created_admin_withdraws_the_setup_link,
    sign_in_accepts_the_right_password_only,
    failed_sign_ins_are_throttled_per_account,
    failed_sign_ins_are_throttled_per_client_address,
    behind_a_trusted_proxy_the_forwarded_address_is_throttled,
    parallel_guesses_cannot_pass_the_throttle,
    the_session_cookie_is_secure_on_an_https_public_url,
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

async fn an_operator_created_admin_withdraws_the_setup_link(engine: Engine) {
    let app = TestApp::start(engine).await;
    let link = app
        .state
        .accounts
        .bootstrap()
        .await
        .expect("bootstrap")
        .expect("link");
    // What `herald admin create` runs while the printed link is still unused.
    let tenant = app
        .state
        .accounts
        .operator_tenant(None)
        .await
        .expect("one tenant");
    app.state
        .accounts
        .create_admin(&tenant, "ops@example.com", "Ops", PASSWORD)
        .await
        .expect("create admin");
    let error =
        app_error(complete_setup(&app, &link_token(&link.url), "eve@example.com").await).await;
    assert!(error.message_for("/token").is_some(), "{error:?}");
    assert!(app.sign_in_fails("eve@example.com", PASSWORD).await);
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

/// A sign-in request as if it came over a connection from `peer`, with `X-Forwarded-For`.
fn sign_in_via(peer: &str, forwarded_for: &str, email: &str, password: &str) -> Request<Body> {
    let mut request = Request::post("/api/sign_in")
        .header("origin", crate::support::PUBLIC_URL)
        .header("x-forwarded-for", forwarded_for)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("email", email), ("password", password)])
                .finish(),
        ))
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().expect("addr")));
    request
}

async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled(engine: Engine) {
    let settings = AccountSettings {
        trusted_proxies: vec!["10.0.0.0/8".parse().expect("network")],
        ..account_settings()
    };
    let app = TestApp::start_with(engine, settings).await;
    app.first_admin("ada@example.com").await;
    const PROXY: &str = "10.1.2.3:50000";
    for n in 0..20 {
        let guess = sign_in_via(
            PROXY,
            "198.51.100.7",
            &format!("g{n}@example.com"),
            "wrong!!",
        );
        assert!(!app.send(guess).await.status().is_success());
    }
    let refused = app_error(
        app.send(sign_in_via(
            PROXY,
            "198.51.100.7",
            "ada@example.com",
            PASSWORD,
        ))
        .await,
    )
    .await;
    assert!(
        matches!(refused, AppError::TooManyRequests { .. }),
        "the forwarded address is throttled: {refused:?}"
    );
    let other_client = app
        .send(sign_in_via(
            PROXY,
            "198.51.100.8",
            "ada@example.com",
            PASSWORD,
        ))
        .await;
    assert!(
        session_cookie(&other_client).is_some(),
        "another client behind the same proxy signs in"
    );

    // An untrusted peer cannot dodge its own limit by writing X-Forwarded-For.
    const UNTRUSTED: &str = "203.0.113.5:40000";
    for n in 0..20 {
        let forged = format!("192.0.2.{n}");
        let guess = sign_in_via(UNTRUSTED, &forged, &format!("h{n}@example.com"), "wrong!!");
        assert!(!app.send(guess).await.status().is_success());
    }
    let refused = app_error(
        app.send(sign_in_via(
            UNTRUSTED,
            "192.0.2.99",
            "ada@example.com",
            PASSWORD,
        ))
        .await,
    )
    .await;
    assert!(
        matches!(refused, AppError::TooManyRequests { .. }),
        "{refused:?}"
    );
}

async fn parallel_guesses_cannot_pass_the_throttle(engine: Engine) {
    let app = std::sync::Arc::new(TestApp::start(engine).await);
    app.first_admin("ada@example.com").await;
    let guesses = (0..12).map(|n| {
        let app = app.clone();
        tokio::spawn(async move {
            let response = app
                .server_fn(
                    "sign_in",
                    None,
                    ServerFnBody::form(&[
                        ("email", "ada@example.com"),
                        ("password", &format!("wrong guess number {n}")),
                    ]),
                )
                .await;
            app_error(response).await
        })
    });
    let mut throttled = 0;
    for guess in guesses {
        if matches!(
            guess.await.expect("guess ran"),
            AppError::TooManyRequests { .. }
        ) {
            throttled += 1;
        }
    }
    assert_eq!(
        throttled, 7,
        "only 5 of 12 simultaneous guesses reach the password check"
    );
}

async fn the_session_cookie_is_secure_on_an_https_public_url(engine: Engine) {
    let settings = AccountSettings {
        public_url: "https://herald.example.com".parse().expect("public URL"),
        ..account_settings()
    };
    let app = TestApp::start_with(engine, settings).await;
    app.first_admin("ada@example.com").await;
    let response = app
        .server_fn(
            "sign_in",
            None,
            ServerFnBody::form(&[("email", "ada@example.com"), ("password", PASSWORD)]),
        )
        .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    // On the plain-HTTP test URL the cookie cannot be Secure, or browsers would drop it.
    let plain = TestApp::start(engine).await;
    plain.first_admin("ada@example.com").await;
    let response = plain
        .server_fn(
            "sign_in",
            None,
            ServerFnBody::form(&[("email", "ada@example.com"), ("password", PASSWORD)]),
        )
        .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .expect("a session cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
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
