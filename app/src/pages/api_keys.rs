//! API keys (TenantAdmins only, SPEC §1): create with scopes for a user — the key is shown
//! once —, list by name, prefix and last use, revoke.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    accounts::{ApiKeySummary, Scope, UserStatus},
    api::accounts::{list_api_keys, list_users, CreateApiKey, RevokeApiKey},
    components::{
        form::{field_message, form_message, FormAlert, TextField},
        require_admin::RequireAdmin,
    },
};

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    view! {
        <Title text="API keys"/>
        <RequireAdmin>
            <ApiKeysScreen/>
        </RequireAdmin>
    }
}

#[component]
fn ApiKeysScreen() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    let revoke_error = Signal::derive(move || {
        revoke
            .value()
            .get()
            .and_then(|result| result.err().map(|error| error.to_string()))
    });
    view! {
        <div class="page-header">
            <h1>"API keys"</h1>
        </div>
        <CreateKeyForm action=create/>
        <FormAlert message=revoke_error/>
        <Transition fallback=|| view! { <p class="loading">"Loading keys…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty-note">"No API keys yet. Systems that publish events or manage webhooks need one."</p>
                    }
                    .into_any(),
                    Ok(list) => view! { <KeysTable list revoke/> }.into_any(),
                    Err(error) => view! { <p class="form-alert" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CreateKeyForm(action: ServerAction<CreateApiKey>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let webhooks = RwSignal::new(true);
    let publish = RwSignal::new(false);
    let users = Resource::new(|| (), |_| list_users());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let scopes = [(webhooks, Scope::Webhooks), (publish, Scope::EventsPublish)]
            .into_iter()
            .filter(|(checked, _)| checked.get_untracked())
            .map(|(_, scope)| scope)
            .collect();
        action.dispatch(CreateApiKey {
            owner_id: owner.get_untracked(),
            name: name.get_untracked(),
            scopes,
        });
    };
    view! {
        <section class="panel" aria-labelledby="create-key-title">
            <h2 id="create-key-title">"Create an API key"</h2>
            <form on:submit=submit class="inline-form">
                <TextField label="Name" name="key_name" value=name hint="What will use it, e.g. \"CI publisher\"."
                    message=Signal::derive(move || field_message(error.get(), "/name"))/>
                <div class="field">
                    <label for="key_owner">"Acts as"</label>
                    <Suspense fallback=|| view! { <select id="key_owner" disabled=true></select> }>
                        {move || Suspend::new(async move {
                            let active: Vec<_> = users
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .filter(|user| user.status == UserStatus::Active)
                                .collect();
                            if owner.get_untracked().is_empty() {
                                if let Some(first) = active.first() {
                                    owner.set(first.id.clone());
                                }
                            }
                            view! {
                                <select id="key_owner" on:change=move |event| owner.set(event_target_value(&event))>
                                    {active.into_iter().map(|user| view! {
                                        <option value=user.id.clone() selected=user.id == owner.get_untracked()>
                                            {format!("{} ({})", user.display_name, user.email)}
                                        </option>
                                    }).collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                    <p class="field-message" aria-live="polite">{move || field_message(error.get(), "/ownerId")}</p>
                </div>
                <fieldset class="field">
                    <legend>"Scopes"</legend>
                    <label><input type="checkbox" bind:checked=webhooks/> " webhooks — manage webhooks"</label>
                    <label><input type="checkbox" bind:checked=publish/> " events:publish — publish events"</label>
                    <p class="field-message" aria-live="polite">{move || field_message(error.get(), "/scopes")}</p>
                </fieldset>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Create key"
                </button>
            </form>
            <FormAlert message=Signal::derive(move || form_message(error.get(), &["/name", "/ownerId", "/scopes"]))/>
            {move || action.value().get().and_then(Result::ok).map(|created| view! {
                <div class="notice" role="status">
                    <p>
                        <strong>{format!("Key \"{}\" created.", created.summary.name)}</strong>
                        " Copy it now: it is shown only this once."
                    </p>
                    <input class="one-time-value" readonly aria-label="New API key" prop:value=created.key/>
                </div>
            })}
        </section>
    }
}

#[component]
fn KeysTable(list: Vec<ApiKeySummary>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"API keys of this tenant"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Key"</th>
                    <th scope="col">"Acts as"</th>
                    <th scope="col">"Scopes"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|key| view! { <KeyRow key revoke/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn KeyRow(key: ApiKeySummary, revoke: ServerAction<RevokeApiKey>) -> AnyView {
    let confirming = RwSignal::new(false);
    let id = key.id.clone();
    let scopes = key
        .scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let revoked = key.revoked_at.is_some();
    view! {
        <tr data-key=key.name.clone()>
            <td>{key.name.clone()}</td>
            <td><code>{format!("{}_…", key.prefix)}</code></td>
            <td>{key.owner_email.clone()}</td>
            <td>{scopes}</td>
            <td>{key.created_at.clone()}</td>
            <td>{key.last_used_at.clone().unwrap_or_else(|| "Never".into())}</td>
            <td>{if revoked { "Revoked" } else { "Active" }}</td>
            <td class="row-actions">
                {(!revoked).then(|| view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="button" on:click=move |_| confirming.set(true)>"Revoke"</button>
                        }
                    >
                        <span>"Revoke this key?"</span>
                        <button type="button" class="button danger" on:click={
                            let id = id.clone();
                            move |_| {
                                revoke.dispatch(RevokeApiKey { key_id: id.clone() });
                            }
                        }>"Revoke"</button>
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </Show>
                })}
            </td>
        </tr>
    }
    .into_any()
}
