//! Herald's console: what both the server (SSR) and the browser (hydration) compile.
//!
//! `pages/` holds one module per screen, `components/` the pieces they share, `api/` the server
//! functions, `validation/` the rules both sides apply, and `accounts`/`event_types` the shared
//! types. The server renders [`shell`]; the browser hydrates [`App`].

#![recursion_limit = "512"]

pub mod accounts;
pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod deliveries;
pub mod error;
pub mod event_types;
pub mod pages;
pub mod validation;
pub mod webhooks;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    hooks::use_location,
    path,
};

use accounts::SignedInUser;
use components::page_frame::PageFrame;
use error::AppError;
use pages::{
    api_keys::ApiKeysPage,
    event_types::EventTypesPage,
    link_pages::{InvitePage, ResetPasswordPage, SetupPage},
    not_found::NotFound,
    sign_in::SignInPage,
    users::UsersPage,
    webhooks::WebhooksPage,
};

/// Pages anyone may open; every other page needs a session.
pub const PUBLIC_PAGES: [&str; 4] = ["/sign-in", "/setup", "/invite", "/reset-password"];

/// The signed-in user (or `None`), loaded again on every navigation so that signing in or out
/// shows at once.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<SignedInUser>, AppError>>);

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
            <CurrentUserProvider>
                <PageFrame>
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=|| view! { <Redirect path="/webhooks"/> }/>
                        <Route path=path!("/webhooks") view=WebhooksPage/>
                        <Route path=path!("/sign-in") view=SignInPage/>
                        <Route path=path!("/setup") view=SetupPage/>
                        <Route path=path!("/invite") view=InvitePage/>
                        <Route path=path!("/reset-password") view=ResetPasswordPage/>
                        <Route path=path!("/admin/users") view=UsersPage/>
                        <Route path=path!("/admin/api-keys") view=ApiKeysPage/>
                        <Route path=path!("/admin/event-types") view=EventTypesPage/>
                    </Routes>
                </PageFrame>
            </CurrentUserProvider>
        </Router>
    }
}

/// Provides [`CurrentUser`] to everything inside the router.
#[component]
fn CurrentUserProvider(children: Children) -> impl IntoView {
    let location = use_location();
    let user = Resource::new(
        move || location.pathname.get(),
        |_| api::accounts::current_user(),
    );
    provide_context(CurrentUser(user));
    children()
}
