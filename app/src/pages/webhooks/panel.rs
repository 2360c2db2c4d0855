//! The create and edit panel. The shared webhook rules check every field as it is left and
//! again on submit; the server's own answer lands beside the field it names. Nothing typed is
//! lost: the values live here until the panel is saved or closed.

use std::collections::BTreeSet;

use leptos::{ev, prelude::*};

use super::{Notice, PanelFor, Screen};
use crate::{
    accounts::{Person, Role, SignedInUser},
    api::webhooks::{generate_secret, CreateWebhook, PatchWebhook},
    components::{
        form::{FormAlert, TextField},
        modal::Modal,
    },
    error::AppError,
    event_types::{EventType, Level},
    webhooks::{
        form::{url_changed, HeaderRow, SecretChoice, WebhookForm},
        Webhook,
    },
};

/// One header row as the panel edits it; `key` keeps its inputs when other rows go.
#[derive(Clone, Copy)]
struct RowState {
    key: u32,
    name: RwSignal<String>,
    value: RwSignal<String>,
    encrypted: RwSignal<bool>,
    stored: bool,
}

/// The panel's values, one signal per field.
#[derive(Clone, Copy)]
struct FormState {
    name: RwSignal<String>,
    description: RwSignal<String>,
    url: RwSignal<String>,
    secret: RwSignal<String>,
    secret_choice: RwSignal<SecretChoice>,
    headers: RwSignal<Vec<RowState>>,
    next_key: StoredValue<u32>,
    event_types: RwSignal<Vec<String>>,
    level: RwSignal<Level>,
    owner_id: RwSignal<String>,
    enabled: RwSignal<bool>,
    cloud_events: RwSignal<bool>,
}

impl FormState {
    fn new(form: WebhookForm) -> Self {
        let state = Self {
            name: RwSignal::new(form.name),
            description: RwSignal::new(form.description),
            url: RwSignal::new(form.url),
            secret: RwSignal::new(form.secret),
            secret_choice: RwSignal::new(form.secret_choice),
            headers: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
            event_types: RwSignal::new(form.event_types),
            level: RwSignal::new(form.level),
            owner_id: RwSignal::new(form.owner_id),
            enabled: RwSignal::new(form.enabled),
            cloud_events: RwSignal::new(form.cloud_events),
        };
        for row in form.headers {
            state.add_row(row);
        }
        state
    }

    fn add_row(&self, row: HeaderRow) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        self.headers.update(|rows| {
            rows.push(RowState {
                key,
                name: RwSignal::new(row.name),
                value: RwSignal::new(row.value),
                encrypted: RwSignal::new(row.encrypted),
                stored: row.stored,
            })
        });
    }

    /// The current values, read without subscribing.
    fn form_untracked(&self) -> WebhookForm {
        untrack(|| self.form())
    }

    /// The current values (tracked, so a memo over it follows every keystroke).
    fn form(&self) -> WebhookForm {
        WebhookForm {
            name: self.name.get(),
            description: self.description.get(),
            url: self.url.get(),
            secret: self.secret.get(),
            secret_choice: self.secret_choice.get(),
            headers: self.headers.get().iter().map(RowState::row).collect(),
            event_types: self.event_types.get(),
            level: self.level.get(),
            owner_id: self.owner_id.get(),
            enabled: self.enabled.get(),
            cloud_events: self.cloud_events.get(),
        }
    }
}

impl RowState {
    fn row(&self) -> HeaderRow {
        HeaderRow {
            name: self.name.get(),
            value: self.value.get(),
            encrypted: self.encrypted.get(),
            stored: self.stored,
        }
    }
}

/// The panel, open while the screen asks for it.
#[component]
pub(super) fn WebhookPanel(
    user: SignedInUser,
    catalogue: Vec<EventType>,
    people: Vec<Person>,
) -> impl IntoView {
    let screen = expect_context::<Screen>();
    // Typed values are lost when the panel closes: ask first when there are any.
    let dirty = RwSignal::new(false);
    let close = Callback::new(move |()| {
        let discard = !dirty.get_untracked()
            || window()
                .confirm_with_message("Discard what you typed in this panel?")
                .unwrap_or(false);
        if discard {
            dirty.set(false);
            screen.panel.set(None);
        }
    });
    let props = StoredValue::new((user, catalogue, people));
    view! {
        <Modal
            open=Signal::derive(move || screen.panel.with(Option::is_some))
            on_close=close
            labelled_by="panel-title"
            class="dialog drawer"
        >
            {move || {
                let (user, catalogue, people) = props.get_value();
                screen.panel.get().map(|target| view! { <PanelForm target user catalogue people dirty close/> })
            }}
        </Modal>
    }
}

#[component]
fn PanelForm(
    target: PanelFor,
    user: SignedInUser,
    catalogue: Vec<EventType>,
    people: Vec<Person>,
    /// Set while the values differ from what the panel opened with.
    dirty: RwSignal<bool>,
    /// Closes the panel, asking first when it is dirty.
    close: Callback<()>,
) -> impl IntoView {
    let screen = expect_context::<Screen>();
    let original: Option<Webhook> = match &target {
        PanelFor::Create => None,
        PanelFor::Edit(webhook) => Some((**webhook).clone()),
    };
    let default_level = if user.role == Role::TenantAdmin {
        Level::Tenant
    } else {
        Level::User
    };
    let state = FormState::new(match &original {
        None => WebhookForm::new(default_level, user.id.clone()),
        Some(webhook) => WebhookForm::from_webhook(webhook),
    });
    let opened_with = StoredValue::new(state.form_untracked());
    // The form as typed, built once per change for both the dirty flag and the problems.
    let current = Memo::new(move |_| state.form());
    Effect::new(move |_| {
        current.with(|form| dirty.set(opened_with.with_value(|initial| initial != form)));
    });
    let catalogue = StoredValue::new(catalogue);
    let original_value = StoredValue::new(original.clone());
    let problems = Memo::new(move |_| {
        current.with(|form| {
            catalogue.with_value(|catalogue| {
                original_value.with_value(|original| form.problems(catalogue, original.as_ref()))
            })
        })
    });
    let create = ServerAction::<CreateWebhook>::new();
    let patch = ServerAction::<PatchWebhook>::new();
    let submitted = RwSignal::new(false);
    let touched = RwSignal::new(BTreeSet::<String>::new());
    let server_error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| patch.value().get().and_then(Result::err))
    });
    // The message beside a field: the rules' own once the field was left or the form sent,
    // else what the server answered about it.
    let message = move |matches: &dyn Fn(&str) -> bool| -> Option<String> {
        let visible = |field: &str| submitted.get() || touched.with(|t| t.contains(field));
        problems
            .with(|problems| {
                problems.iter().find_map(|problem| match problem {
                    AppError::Invalid { field, message } if matches(field) && visible(field) => {
                        Some(message.clone())
                    }
                    _ => None,
                })
            })
            .or_else(|| match server_error.get() {
                Some(AppError::Invalid { field, message }) if matches(&field) => Some(message),
                _ => None,
            })
    };
    let touch = move |field: &'static str| {
        move |_: ev::FocusEvent| {
            touched.update(|t| {
                t.insert(field.to_owned());
            })
        }
    };
    Effect::new(move |_| {
        if let Some(Ok(webhook)) = create.value().get() {
            screen.panel.set(None);
            screen.changed(Notice::done(format!("“{}” was created.", webhook.name)));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(webhook)) = patch.value().get() {
            screen.panel.set(None);
            screen.changed(Notice::done(format!("“{}” was saved.", webhook.name)));
        }
    });
    let submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        submitted.set(true);
        if !problems.with_untracked(Vec::is_empty) {
            return;
        }
        let form = state.form();
        match original_value.get_value() {
            None => {
                create.dispatch(CreateWebhook {
                    draft: form.draft(),
                });
            }
            Some(webhook) => {
                let operations = form.patch(&webhook);
                if operations.is_empty() {
                    screen.panel.set(None);
                    screen.notice.set(Some(Notice::done(format!(
                        "Nothing changed in “{}”.",
                        webhook.name
                    ))));
                } else {
                    patch.dispatch(PatchWebhook {
                        id: webhook.id.clone(),
                        operations: serde_json::Value::Array(operations),
                    });
                }
            }
        }
    };
    let pending = move || create.pending().get() || patch.pending().get();
    let problem_count = move || problems.with(Vec::len);
    // SPEC §1: TenantAdmins choose either level; "Manage webhooks" may move a tenant-level
    // webhook to user level, never the other way.
    let chooses_level = user.role == Role::TenantAdmin
        || (user.role == Role::ManageWebhooks
            && original.as_ref().is_some_and(|w| w.level == Level::Tenant));
    let chooses_owner = user.role != Role::UseWebhooks;
    // A server message about a field the panel shows goes beside it; any other in the alert.
    let shown_beside_a_field = move |field: &str| {
        [
            "/name",
            "/description",
            "/url",
            "/secret",
            "/headers",
            "/encryptedHeaders",
            "/eventTypes",
        ]
        .iter()
        .any(|shown| field == *shown || field.starts_with(&format!("{shown}/")))
            || (chooses_level && field == "/level")
            || (chooses_owner && field == "/ownerId")
    };
    let form_alert = Signal::derive(move || {
        if submitted.get() && problem_count() > 0 {
            return Some(match problem_count() {
                1 => "One field needs attention (marked below).".to_owned(),
                count => format!("{count} fields need attention (marked below)."),
            });
        }
        match server_error.get() {
            Some(AppError::Invalid { field, .. }) if shown_beside_a_field(&field) => None,
            None => None,
            Some(other) => Some(other.to_string()),
        }
    });
    let is_edit = original.is_some();
    let title = match &original {
        None => "Create webhook".to_owned(),
        Some(webhook) => format!("Edit “{}”", webhook.name),
    };
    let secret_set = original.as_ref().is_some_and(|w| w.secret_key_added);
    view! {
        <form class="panel-form" on:submit=submit novalidate>
            <header class="dialog-header">
                <h2 id="panel-title">{title}</h2>
                <button type="button" class="button icon" aria-label="Close" on:click=move |_| close.run(())>"×"</button>
            </header>
            <div class="dialog-body">
                <FormAlert message=form_alert/>
                <div on:focusout=touch("/name")>
                    <TextField label="Name" name="name" value=state.name
                        message=Signal::derive(move || message(&|f| f == "/name"))/>
                </div>
                <div on:focusout=touch("/description")>
                    <TextField label="Description" name="description" required=false value=state.description
                        hint="Optional."
                        message=Signal::derive(move || message(&|f| f == "/description"))/>
                </div>
                <div on:focusout=touch("/url")>
                    <TextField label="URL" name="url" kind="url" value=state.url
                        hint="The HTTPS endpoint that receives the events."
                        message=Signal::derive(move || message(&|f| f == "/url"))/>
                </div>
                <div on:focusout=touch("/secret")>
                    <SecretField state is_edit secret_set
                        message=Signal::derive(move || message(&|f| f == "/secret"))/>
                </div>
                <HeadersField state url_changed=Signal::derive(move || {
                    original_value.with_value(|original| url_changed(original.as_ref(), &state.url.get()))
                }) message=message touch=touched/>
                <EventTypesField state catalogue=catalogue.get_value()
                    message=Signal::derive(move || message(&|f| f.starts_with("/eventTypes")))/>
                {chooses_level.then(|| view! {
                    <div class="field">
                        <label for="level">"Level"</label>
                        <select id="level" on:change=move |event| {
                            if let Some(level) = Level::parse(&event_target_value(&event)) {
                                state.level.set(level);
                            }
                        }>
                            <option value="tenant" selected=state.level.get_untracked() == Level::Tenant>"Tenant: events of the whole tenant"</option>
                            <option value="user" selected=state.level.get_untracked() == Level::User>"User: the owner's own events"</option>
                        </select>
                        <p class="field-message" aria-live="polite">{move || message(&|f| f == "/level")}</p>
                    </div>
                })}
                {chooses_owner.then(|| {
                    let current = state.owner_id.get_untracked();
                    let options = people
                        .iter()
                        .filter(|person| person.active || person.id == current)
                        .map(|person| view! {
                            <option value=person.id.clone() selected=person.id == current>
                                {format!("{} ({})", person.display_name, person.email)}
                            </option>
                        })
                        .collect_view();
                    view! {
                        <div class="field">
                            <label for="owner">"Owner"</label>
                            <select id="owner" on:change=move |event| state.owner_id.set(event_target_value(&event))>
                                {options}
                            </select>
                            <p class="field-message" aria-live="polite">{move || message(&|f| f == "/ownerId")}</p>
                        </div>
                    }
                })}
                <div class="field checkbox-field">
                    <label>
                        <input type="checkbox" bind:checked=state.enabled/>
                        "Enabled"
                    </label>
                </div>
                <div class="field checkbox-field">
                    <label>
                        <input type="checkbox" bind:checked=state.cloud_events/>
                        "CloudEvents format"
                    </label>
                    <p class="field-hint">"Send the CloudEvents 1.0 structured form instead of Qlik's payload."</p>
                </div>
            </div>
            <footer class="dialog-footer">
                <button type="button" class="button" on:click=move |_| close.run(())>"Cancel"</button>
                <button type="submit" class="button primary" disabled=pending>
                    {if is_edit { "Save" } else { "Create" }}
                </button>
            </footer>
        </form>
    }
    .into_any()
}

/// The secret: typed or generated when creating; "set"/"not set" with Replace and Remove when
/// editing, so a save never wipes it by accident.
#[component]
fn SecretField(
    state: FormState,
    is_edit: bool,
    secret_set: bool,
    message: Signal<Option<String>>,
) -> impl IntoView {
    let generate = Action::new(|_: &()| generate_secret());
    let generated = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(secret)) = generate.value().get() {
            state.secret.set(secret);
            generated.set(true);
        }
    });
    let generate_error = move || {
        generate
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let editing_value = move || !is_edit || state.secret_choice.get() == SecretChoice::Replace;
    view! {
        <div class="field" class:field-invalid=move || message.get().is_some()>
            // Names the input only while there is one (not while an edit keeps the secret).
            <label for=move || editing_value().then_some("secret")>"Secret"</label>
            <Show when=move || is_edit>
                <p class="secret-state">
                    <span>
                        {move || match state.secret_choice.get() {
                            SecretChoice::Remove => "The secret will be removed when you save.",
                            _ if secret_set => "Set",
                            _ => "Not set",
                        }}
                    </span>
                    <Show when=move || state.secret_choice.get() == SecretChoice::Keep>
                        <button type="button" class="button" on:click=move |_| state.secret_choice.set(SecretChoice::Replace)>"Replace"</button>
                        {secret_set.then(|| view! {
                            <button type="button" class="button" on:click=move |_| state.secret_choice.set(SecretChoice::Remove)>"Remove"</button>
                        })}
                    </Show>
                    <Show when=move || state.secret_choice.get() != SecretChoice::Keep>
                        <button type="button" class="button" on:click=move |_| {
                            state.secret.set(String::new());
                            state.secret_choice.set(SecretChoice::Keep);
                        }>"Keep the current secret"</button>
                    </Show>
                </p>
            </Show>
            <Show when=editing_value>
                <p class="field-hint" id="secret-hint">
                    "Optional. 32 to 64 characters; Herald signs every request with it (Qlik-Signature and webhook-signature)."
                </p>
                <div class="input-with-button">
                    <input id="secret" name="secret" type="text" autocomplete="off" spellcheck="false"
                        aria-describedby="secret-hint secret-message"
                        aria-invalid=move || message.get().is_some().to_string()
                        bind:value=state.secret/>
                    <button type="button" class="button" on:click=move |_| { generate.dispatch(()); }
                        disabled=move || generate.pending().get()>"Generate"</button>
                </div>
                <Show when=move || generated.get()>
                    <p class="notice">"Copy this secret now for your endpoint: once saved, Herald never shows it again."</p>
                </Show>
            </Show>
            <p class="field-message" id="secret-message" aria-live="polite">
                {move || message.get().or_else(generate_error)}
            </p>
        </div>
    }
    .into_any()
}

/// Name-value rows, each plain or encrypted ("secret"); stored encrypted values stay blank.
#[component]
fn HeadersField(
    state: FormState,
    url_changed: Signal<bool>,
    message: impl Fn(&dyn Fn(&str) -> bool) -> Option<String> + Copy + Send + Sync + 'static,
    touch: RwSignal<BTreeSet<String>>,
) -> impl IntoView {
    let section_message = move || message(&|f| f == "/headers" || f == "/encryptedHeaders");
    view! {
        <fieldset class="field headers-field">
            <legend>"Headers"</legend>
            <p class="field-hint">"Optional. Sent with every request. Mark a header secret to store it encrypted: its value is never shown again."</p>
            <For each=move || state.headers.get() key=|row| row.key let:row>
                <HeaderRowFields row state url_changed message touch/>
            </For>
            <button type="button" class="button" on:click=move |_| state.add_row(HeaderRow::default())>"Add header"</button>
            <p class="field-message" aria-live="polite">{section_message}</p>
        </fieldset>
    }
    .into_any()
}

#[component]
fn HeaderRowFields(
    row: RowState,
    state: FormState,
    url_changed: Signal<bool>,
    message: impl Fn(&dyn Fn(&str) -> bool) -> Option<String> + Copy + Send + Sync + 'static,
    touch: RwSignal<BTreeSet<String>>,
) -> impl IntoView {
    let pointer = move || row.row().pointer();
    let row_message = move || {
        let at = pointer();
        message(&|f| f == at)
    };
    let id = format!("header-{}", row.key);
    // Rows are numbered in their labels, so every control has a name of its own.
    let number = move || {
        state
            .headers
            .with(|rows| rows.iter().position(|r| r.key == row.key))
            .map_or(0, |at| at + 1)
    };
    let placeholder = move || {
        if row.stored && !url_changed.get() {
            "Leave blank to keep the stored value"
        } else {
            ""
        }
    };
    view! {
        <div class="header-row" on:focusout=move |_| touch.update(|t| { t.insert(pointer()); })>
            <label class="visually-hidden" for=format!("{id}-name")>{move || format!("Header {} name", number())}</label>
            <input id=format!("{id}-name") placeholder="Name" bind:value=row.name
                readonly=row.stored title=if row.stored { "A stored encrypted header keeps its name; remove it and add another to rename it." } else { "" }/>
            <label class="visually-hidden" for=format!("{id}-value")>{move || format!("Header {} value", number())}</label>
            <input id=format!("{id}-value") placeholder=placeholder bind:value=row.value
                type=move || if row.encrypted.get() { "password" } else { "text" } autocomplete="off"/>
            <label class="choice">
                <input type="checkbox" bind:checked=row.encrypted disabled=row.stored/>
                <span class="visually-hidden">{move || format!("Header {} is ", number())}</span>
                "secret"
            </label>
            <button type="button" class="button icon" aria-label=move || format!("Remove header {}", number())
                on:click=move |_| state.headers.update(|rows| rows.retain(|r| r.key != row.key))>"×"</button>
            <p class="field-message" aria-live="polite">{row_message}</p>
        </div>
    }
    .into_any()
}

/// Checkboxes by category; types a user-level webhook cannot use are disabled for one.
#[component]
fn EventTypesField(
    state: FormState,
    catalogue: Vec<EventType>,
    message: Signal<Option<String>>,
) -> impl IntoView {
    let mut categories: Vec<(String, Vec<EventType>)> = Vec::new();
    for known in catalogue {
        match categories
            .iter_mut()
            .find(|(name, _)| *name == known.category)
        {
            Some((_, types)) => types.push(known),
            None => categories.push((known.category.clone(), vec![known])),
        }
    }
    let groups = categories
        .into_iter()
        .map(|(category, types)| {
            let boxes = types
                .into_iter()
                .map(|known| {
                    let name = known.name.clone();
                    let user_level = known.levels.contains(&Level::User);
                    let key = StoredValue::new(name.clone());
                    let checked = move || state.event_types.with(|chosen| key.with_value(|name| chosen.contains(name)));
                    let toggle = move |_| {
                        state.event_types.update(|chosen| {
                            if let Some(at) = chosen.iter().position(|n| *n == name) {
                                chosen.remove(at);
                            } else {
                                chosen.push(name.clone());
                            }
                        })
                    };
                    view! {
                        <label class="choice" title=known.name.clone()>
                            <input type="checkbox" prop:checked=checked on:change=toggle
                                // A checked type stays clickable, so it can be unticked after a level change.
                                disabled=move || !user_level && state.level.get() == Level::User && !checked()/>
                            {known.title}
                            {(!user_level).then(|| view! { <span class="cell-note">" (tenant level only)"</span> })}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="type-group">
                    <legend class="type-category">{category}</legend>
                    {boxes}
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <fieldset class="field event-types-field" class:field-invalid=move || message.get().is_some()>
            <legend>"Event types"</legend>
            {groups}
            <p class="field-message" aria-live="polite">{move || message.get()}</p>
        </fieldset>
    }
    .into_any()
}
