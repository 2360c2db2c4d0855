//! Browser entry point: hydrates the server-rendered console, then marks the page as live.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the script that Leptos' `HydrationScripts` put in the page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    mark_hydrated();
}

/// Sets `data-hydrated` on `<body>` so end-to-end tests (and people debugging) can tell when
/// event handlers are attached: server-rendered buttons exist before they work.
fn mark_hydrated() {
    if let Some(body) = leptos::prelude::document().body() {
        if let Err(error) = body.set_attribute("data-hydrated", "true") {
            leptos::logging::error!("could not mark the page as hydrated: {error:?}");
        }
    }
}
