//! The console's pages, rendered on the server through the real router.

use axum::http::{header, StatusCode};

use crate::{
    on_both_databases,
    support::{body_text, Engine, TestApp},
};

on_both_databases!(
    webhooks_page_renders_the_frame_and_hydration_scripts,
    root_redirects_to_webhooks,
    unknown_page_is_a_404_page
);

async fn webhooks_page_renders_the_frame_and_hydration_scripts(engine: Engine) {
    let app = TestApp::start(engine).await;
    let session = app.first_admin("ada@example.com").await;
    let response = app.page("/webhooks", Some(&session)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .expect("ASCII");
    assert!(content_type.starts_with("text/html"), "{content_type}");

    let html = body_text(response).await;
    assert!(html.contains("<title>Webhooks · Herald</title>"), "{html}");
    assert!(html.contains(r#"<nav aria-label="Main">"#), "{html}");
    assert!(
        html.contains(r#"<a href="/webhooks" aria-current="page">Webhooks</a>"#),
        "the navigation marks the current page: {html}"
    );
    assert!(html.contains("<h1>Webhooks</h1>"), "{html}");
    assert!(
        html.contains("First Admin"),
        "the signed-in user is shown: {html}"
    );
    assert!(
        html.contains(r#"<a href="/admin/users">Users</a>"#),
        "admins see Users: {html}"
    );
    assert!(html.contains("No webhooks yet"), "{html}");
    assert!(
        html.contains("/pkg/herald.js"),
        "hydration script missing: {html}"
    );
    assert!(
        html.contains("/pkg/herald.css"),
        "stylesheet missing: {html}"
    );
}

async fn root_redirects_to_webhooks(engine: Engine) {
    let app = TestApp::start(engine).await;
    let session = app.first_admin("ada@example.com").await;
    let response = app.page("/", Some(&session)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[header::LOCATION], "/webhooks");

    let signed_out = app.page("/", None).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_out.headers()[header::LOCATION], "/sign-in?next=%2F");
}

async fn unknown_page_is_a_404_page(engine: Engine) {
    let app = TestApp::start(engine).await;
    let session = app.first_admin("ada@example.com").await;
    let response = app.page("/no/such/page", Some(&session)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = body_text(response).await;
    assert!(
        html.contains("<title>Page not found · Herald</title>"),
        "{html}"
    );
    assert!(html.contains("<h1>Page not found</h1>"), "{html}");
    assert!(
        html.contains(r#"<nav aria-label="Main">"#),
        "the frame is kept: {html}"
    );
}
