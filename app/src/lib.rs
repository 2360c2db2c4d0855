//! Herald's console: what both the server (SSR) and the browser (hydration) compile.
//!
//! `pages/` holds one module per screen, `components/` the pieces they share.
//! The server renders [`shell`]; the browser hydrates [`App`].

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    path,
};

use components::page_frame::PageFrame;
use pages::{not_found::NotFound, webhooks::WebhooksPage};

/// The whole HTML document, rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The console: the page frame and the route table.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="herald" href="/pkg/herald.css"/>
        <Title formatter=|page: String| format!("{page} · Herald")/>
        <Router>
            <PageFrame>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/webhooks"/> }/>
                    <Route path=path!("/webhooks") view=WebhooksPage/>
                </Routes>
            </PageFrame>
        </Router>
    }
}
