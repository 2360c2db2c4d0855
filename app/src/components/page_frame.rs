//! The frame around every page: product name, navigation, the signed-in user, main content.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    accounts::{Role, SignedInUser},
    api::accounts::SignOut,
    CurrentUser,
};

/// Header with the product name, the navigation and the user menu, then the page itself.
#[component]
pub fn PageFrame(children: Children) -> impl IntoView {
    let user = expect_context::<CurrentUser>().0;
    view! {
        <header class="app-header">
            <a class="brand" href="/webhooks">"Herald"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|user| view! { <SignedInNavigation user/> })
                })}
            </Transition>
        </header>
        <main id="main" class="app-main">
            {children()}
        </main>
    }
}

#[component]
fn SignedInNavigation(user: SignedInUser) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let is_admin = user.role == Role::TenantAdmin;
    view! {
        <nav aria-label="Main">
            <ul class="nav-list">
                <li>
                    <A href="/webhooks">"Webhooks"</A>
                </li>
                {is_admin.then(|| view! {
                    <li>
                        <A href="/admin/users">"Users"</A>
                    </li>
                    <li>
                        <A href="/admin/api-keys">"API keys"</A>
                    </li>
                    <li>
                        <A href="/admin/event-types">"Event types"</A>
                    </li>
                })}
            </ul>
        </nav>
        <div class="user-menu">
            <span class="user-name" title=user.email.clone()>{user.display_name.clone()}</span>
            <ActionForm action=sign_out>
                <button type="submit" class="button link">"Sign out"</button>
            </ActionForm>
        </div>
    }
}
