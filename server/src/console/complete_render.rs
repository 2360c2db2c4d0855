//! Console pages are rendered to their end in a task of their own before the answer is sent.
//!
//! Leptos streams a page while it renders. When the body was dropped mid-render — a browser
//! that navigated away, a client that only read the status — the render's reactive owners were
//! torn down on one thread while another still walked them, and that worker thread could block
//! forever on a lock the same render held (seen under load on leptos 0.8.23 / reactive_graph
//! 0.2.16). Driving the body to its end in a spawned task means a page render is never dropped
//! half-way; pages are small, so holding one in memory before sending it costs little.

use axum::{
    body::Body,
    extract::Request,
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::BodyExt;

pub async fn render_to_completion(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if !is_page {
        return response;
    }
    let (parts, body) = response.into_parts();
    let rendered = tokio::spawn(async move { body.collect().await.map(|body| body.to_bytes()) });
    match rendered.await {
        Ok(Ok(bytes)) => Response::from_parts(parts, Body::from(bytes)),
        Ok(Err(error)) => page_failed(&error),
        Err(error) => page_failed(&error),
    }
}

fn page_failed(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "rendering a console page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "This page could not be rendered. Try again; the server log has the details.",
    )
        .into_response()
}
