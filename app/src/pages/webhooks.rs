//! The webhooks screen (SPEC §6).

use leptos::prelude::*;
use leptos_meta::Title;

/// Lists the tenant's webhooks.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <Title text="Webhooks"/>
        <div class="page-header">
            <h1>"Webhooks"</h1>
        </div>
        <section class="empty-state" aria-labelledby="webhooks-empty-title">
            <h2 id="webhooks-empty-title">"No webhooks yet"</h2>
            <p>
                "Webhooks send a signed HTTPS request to your endpoint whenever a subscribed event happens in this tenant."
            </p>
        </section>
    }
}
