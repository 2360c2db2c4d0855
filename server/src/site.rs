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
