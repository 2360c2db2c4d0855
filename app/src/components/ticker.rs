//! A counter that goes up at a fixed period while the component that asked for it lives: views
//! that follow something changing on the server (a delivery being retried) load again on it.

use std::time::Duration;

use leptos::prelude::*;

/// Counts `period`s in the browser; stays 0 on the server, which renders once.
pub fn use_ticker(period: Duration) -> Signal<u32> {
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        match set_interval_with_handle(move || tick.update(|n| *n += 1), period) {
            Ok(handle) => on_cleanup(move || handle.clear()),
            Err(error) => leptos::logging::error!("no timer for live updates: {error:?}"),
        }
    });
    tick.into()
}
