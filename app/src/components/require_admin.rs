//! Admin screens: TenantAdmins see them, everyone else gets a 403 page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{accounts::Role, CurrentUser};

/// Shows `children` to TenantAdmins only.
#[component]
pub fn RequireAdmin(children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<CurrentUser>().0;
    #[cfg(feature = "ssr")]
    refuse_non_admins_with_403();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new({
                let children = children.clone();
                async move {
                    match user.await {
                        Ok(Some(user)) if user.role == Role::TenantAdmin => children().into_any(),
                        _ => view! { <Forbidden/> }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

/// Sets the 403 status while rendering on the server, so the response says what the page says.
#[cfg(feature = "ssr")]
fn refuse_non_admins_with_403() {
    let is_admin = crate::api::signed_in_user().is_some_and(|user| user.role == Role::TenantAdmin);
    if !is_admin {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::FORBIDDEN);
        }
    }
}

#[component]
fn Forbidden() -> impl IntoView {
    view! {
        <Title text="Not allowed"/>
        <section class="empty-state" aria-labelledby="forbidden-title">
            <h1 id="forbidden-title">"You cannot open this page"</h1>
            <p>"Only a TenantAdmin can manage users, API keys and custom event types. Ask one of your tenant's administrators."</p>
            <p><a href="/webhooks">"Back to webhooks"</a></p>
        </section>
    }
}
