//! The pages one-time links open (SPEC §4.3): first-admin setup, invitation, password reset.
//! Each checks its link first and then asks for what it needs; all sign the person in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    accounts::{LinkDetails, LinkPurpose},
    api::accounts::{check_link, AcceptInvite, CompleteSetup, ResetPassword},
    components::form::{field_message, form_message, FormAlert, TextField},
    error::AppError,
    validation::accounts::PASSWORD_MIN_CHARS,
};

/// The link's token, from `?token=`.
fn token() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("token").unwrap_or_default())
}

/// Loads the link's details and shows `form` with them, or why the link cannot be used.
#[component]
fn LinkGate<F, V>(purpose: LinkPurpose, title: &'static str, form: F) -> impl IntoView
where
    F: Fn(LinkDetails, String) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let token = token();
    let details = Resource::new(move || token.get(), move |token| check_link(purpose, token));
    view! {
        <Title text=title/>
        <section class="auth-card" aria-labelledby="link-title">
            <h1 id="link-title">{title}</h1>
            <Suspense fallback=|| view! { <p class="loading">"Checking the link…"</p> }>
                {move || Suspend::new({
                    let form = form.clone();
                    async move {
                        match details.await {
                            Ok(details) => form(details, token.get_untracked()).into_any(),
                            Err(error) => view! {
                                <p class="form-alert" role="alert">{error.to_string()}</p>
                                <p><a href="/sign-in">"Go to sign-in"</a></p>
                            }
                            .into_any(),
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The new-password pair of fields.
#[component]
fn PasswordFields(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <TextField
            label="Password"
            name="password"
            kind="password"
            autocomplete="new-password"
            hint=format!("At least {PASSWORD_MIN_CHARS} characters. A few unrelated words make a good one.")
            message=Signal::derive(move || field_message(error.get(), "/password"))
        />
        <TextField
            label="Password again"
            name="confirmation"
            kind="password"
            autocomplete="new-password"
            message=Signal::derive(move || field_message(error.get(), "/confirmation"))
        />
    }
}

const PASSWORD_FIELDS: [&str; 2] = ["/password", "/confirmation"];

/// `/setup?token=…`: creates the tenant's first TenantAdmin.
#[component]
pub fn SetupPage() -> impl IntoView {
    let form = |_: LinkDetails, token: String| {
        let action = ServerAction::<CompleteSetup>::new();
        let error = Signal::derive(move || action.value().get().and_then(Result::err));
        view! {
            <p>"Create the first administrator of this tenant. This link works once."</p>
            <ActionForm action=action>
                <input type="hidden" name="token" value=token/>
                <TextField label="E-mail address" name="email" kind="email" autocomplete="username"
                    message=Signal::derive(move || field_message(error.get(), "/email"))/>
                <TextField label="Your name" name="display_name" autocomplete="name"
                    message=Signal::derive(move || field_message(error.get(), "/displayName"))/>
                <PasswordFields error/>
                <FormAlert message=Signal::derive(move || form_message(error.get(), &["/email", "/displayName", PASSWORD_FIELDS[0], PASSWORD_FIELDS[1]]))/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Create administrator"
                </button>
            </ActionForm>
        }
    };
    view! { <LinkGate purpose=LinkPurpose::Setup title="Set up Herald" form/> }
}

/// `/invite?token=…`: an invited user chooses a name and password.
#[component]
pub fn InvitePage() -> impl IntoView {
    let form = |details: LinkDetails, token: String| {
        let action = ServerAction::<AcceptInvite>::new();
        let error = Signal::derive(move || action.value().get().and_then(Result::err));
        let name = RwSignal::new(details.display_name.unwrap_or_default());
        view! {
            <p>"You were invited as " <strong>{details.email}</strong> ". Choose your password to sign in."</p>
            <ActionForm action=action>
                <input type="hidden" name="token" value=token/>
                <TextField label="Your name" name="display_name" autocomplete="name" value=name
                    message=Signal::derive(move || field_message(error.get(), "/displayName"))/>
                <PasswordFields error/>
                <FormAlert message=Signal::derive(move || form_message(error.get(), &["/displayName", PASSWORD_FIELDS[0], PASSWORD_FIELDS[1]]))/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Join"
                </button>
            </ActionForm>
        }
    };
    view! { <LinkGate purpose=LinkPurpose::Invite title="Accept your invitation" form/> }
}

/// `/reset-password?token=…`: a user chooses a new password.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let form = |details: LinkDetails, token: String| {
        let action = ServerAction::<ResetPassword>::new();
        let error = Signal::derive(move || action.value().get().and_then(Result::err));
        view! {
            <p>"Choose a new password for " <strong>{details.email}</strong> ". Other sessions of this account will be signed out."</p>
            <ActionForm action=action>
                <input type="hidden" name="token" value=token/>
                <PasswordFields error/>
                <FormAlert message=Signal::derive(move || form_message(error.get(), &PASSWORD_FIELDS))/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Set password"
                </button>
            </ActionForm>
        }
    };
    view! { <LinkGate purpose=LinkPurpose::PasswordReset title="Reset your password" form/> }
}
