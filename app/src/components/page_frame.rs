//! The frame around every page: product name, navigation, main content area.

use leptos::prelude::*;
use leptos_router::components::A;

/// Header with the product name and the main navigation, then the page itself.
#[component]
pub fn PageFrame(children: Children) -> impl IntoView {
    view! {
        <header class="app-header">
            <a class="brand" href="/webhooks">"Herald"</a>
            <nav aria-label="Main">
                <ul class="nav-list">
                    <li>
                        <A href="/webhooks">"Webhooks"</A>
                    </li>
                </ul>
            </nav>
        </header>
        <main id="main" class="app-main">
            {children()}
        </main>
    }
}
