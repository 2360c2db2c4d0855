//! The sign-in page (SPEC §4.3): the tenant is found by the e-mail address.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::accounts::SignIn,
    components::form::{field_message, form_message, FormAlert, TextField},
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let action = ServerAction::<SignIn>::new();
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <Title text="Sign in"/>
        <section class="auth-card" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in to Herald"</h1>
            <ActionForm action=action>
                <input type="hidden" name="next" prop:value=next/>
                <TextField
                    label="E-mail address"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    message=Signal::derive(move || field_message(error(), "/email"))
                />
                <TextField
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    message=Signal::derive(move || field_message(error(), "/password"))
                />
                <FormAlert message=Signal::derive(move || form_message(error(), &["/email", "/password"]))/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
            <p class="auth-help">
                "No account yet? Ask a TenantAdmin of your tenant for an invite link."
            </p>
        </section>
    }
}
