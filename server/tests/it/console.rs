//! The console's pages, rendered on the server through the real router.

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};

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
    let response = app.get("/webhooks").await;
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
    let browser_request = Request::get("/")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .body(Body::empty())
        .expect("valid request");
    let response = app.send(browser_request).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[header::LOCATION], "/webhooks");
}

async fn unknown_page_is_a_404_page(engine: Engine) {
    let app = TestApp::start(engine).await;
    let response = app.get("/no/such/page").await;
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
