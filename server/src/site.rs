//! Where the compiled console is served from, as Leptos expects to be told.

use std::path::Path;

use leptos::config::{Env, LeptosOptions};

/// The name cargo-leptos gives the site's WASM, JS and CSS files (`output-name` in Cargo.toml).
pub const OUTPUT_NAME: &str = "herald";

/// Leptos' options, built in code so the binary needs no Cargo.toml or `LEPTOS_*` variables.
pub fn leptos_options(site_root: &Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .env(if cfg!(debug_assertions) {
            Env::DEV
        } else {
            Env::PROD
        })
        .build()
}

/// The compiled site carried inside the release binary (`--features embed-site`), served before
/// anything else looks at a request, so a copy of the binary alone serves the console.
#[cfg(feature = "embed-site")]
pub mod embedded {
    use axum::{
        body::Body,
        extract::Request,
        http::{header, HeaderValue, Method, StatusCode},
        middleware::Next,
        response::{IntoResponse, Response},
    };

    /// Read at compile time; `scripts/release` builds the site first.
    #[derive(rust_embed::Embed)]
    #[folder = "$CARGO_MANIFEST_DIR/../target/site"]
    struct Site;

    /// Answers a `GET` or `HEAD` of an embedded file; hands every other request on.
    pub async fn serve(request: Request, next: Next) -> Response {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return next.run(request).await;
        }
        let Some(file) = Site::get(request.uri().path().trim_start_matches('/')) else {
            return next.run(request).await;
        };
        // Names are not content-hashed: browsers revalidate, and an unchanged file costs a 304.
        let etag = format!(
            "\"{}\"",
            file.metadata
                .sha256_hash()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>()
        );
        let unchanged = request
            .headers()
            .get(header::IF_NONE_MATCH)
            .is_some_and(|given| given.as_bytes() == etag.as_bytes());
        let headers = [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(file.metadata.mimetype())
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::ETAG,
                HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
            ),
        ];
        if unchanged {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let body = if request.method() == Method::HEAD {
            Body::empty()
        } else {
            Body::from(file.data)
        };
        (headers, body).into_response()
    }
}
