//! Custom event types (TenantAdmins only, SPEC §3): the tenant's catalogue beyond the built-in
//! types — list, add with the example `data` test deliveries send, delete when no webhook
//! uses one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::webhooks::{custom_event_types, CreateEventType, DeleteEventType},
    components::{
        confirm::ConfirmDialog,
        form::{field_message, form_message, FormAlert, TextField},
        require_admin::RequireAdmin,
    },
    event_types::{CustomEventType, EventType, Level},
    validation::event_type as rules,
};

#[component]
pub fn EventTypesPage() -> impl IntoView {
    view! {
        <Title text="Event types"/>
        <RequireAdmin>
            <EventTypesScreen/>
        </RequireAdmin>
    }
}

#[component]
fn EventTypesScreen() -> impl IntoView {
    let create = ServerAction::<CreateEventType>::new();
    let delete = ServerAction::<DeleteEventType>::new();
    let deleting = RwSignal::new(None::<String>);
    let types = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| custom_event_types(),
    );
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            deleting.set(None);
        }
    });
    view! {
        <div class="page-header">
            <h1>"Custom event types"</h1>
        </div>
        <p class="page-intro">
            "Every tenant has Qlik's built-in event types. Add your own for the events your systems publish; webhooks can then subscribe to them, and test deliveries send the example data."
        </p>
        <AddTypeForm action=create/>
        <Transition fallback=|| view! { <p class="loading">"Loading event types…"</p> }>
            {move || Suspend::new(async move {
                match types.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty-note">"No custom event types yet."</p>
                    }
                    .into_any(),
                    Ok(list) => view! { <TypesTable list deleting/> }.into_any(),
                    Err(error) => view! { <p class="form-alert" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <ConfirmDialog
            open=Signal::derive(move || deleting.with(Option::is_some))
            title=Signal::derive(move || format!("Delete {}?", deleting.get().unwrap_or_default()))
            id="delete-event-type"
            confirm_label="Delete"
            pending=delete.pending()
            error=Signal::derive(move || delete.value().get().and_then(Result::err).map(|e| e.to_string()))
            on_cancel=Callback::new(move |()| {
                delete.clear();
                deleting.set(None);
            })
            on_confirm=Callback::new(move |()| {
                if let Some(name) = deleting.get_untracked() {
                    delete.dispatch(DeleteEventType { name });
                }
            })
        >
            <p>"Webhooks can no longer subscribe to it. A type that a webhook still uses cannot be deleted."</p>
        </ConfirmDialog>
    }
}

#[component]
fn AddTypeForm(action: ServerAction<CreateEventType>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let tenant = RwSignal::new(true);
    let user = RwSignal::new(false);
    let example = RwSignal::new("{}".to_owned());
    let checked_error = RwSignal::new(None);
    let error = Signal::derive(move || {
        checked_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let levels = [(tenant, Level::Tenant), (user, Level::User)]
            .into_iter()
            .filter(|(on, _)| on.get_untracked())
            .map(|(_, level)| level)
            .collect();
        let event_type = EventType {
            name: name.get_untracked(),
            title: title.get_untracked(),
            description: description.get_untracked(),
            levels,
            category: category.get_untracked(),
        };
        // The shared rules first: a mistake shows at once, and nothing typed is lost.
        match rules::custom_event_type(&event_type, &example.get_untracked()) {
            Err(problem) => checked_error.set(Some(problem)),
            Ok(_) => {
                checked_error.set(None);
                action.dispatch(CreateEventType {
                    event_type,
                    example_data: example.get_untracked(),
                });
            }
        }
    };
    let fields = [
        "/name",
        "/title",
        "/description",
        "/category",
        "/levels",
        "/exampleData",
    ];
    let message =
        move |field: &'static str| Signal::derive(move || field_message(error.get(), field));
    view! {
        <section class="panel" aria-labelledby="add-type-title">
            <h2 id="add-type-title">"Add an event type"</h2>
            <form on:submit=submit class="stacked-form" novalidate>
                <TextField label="Name" name="type_name" value=name hint="Reverse-DNS, e.g. com.example.deploy.finished."
                    message=message("/name")/>
                <TextField label="Title" name="type_title" value=title message=message("/title")/>
                <TextField label="Category" name="type_category" value=category hint="The create panel groups types by it."
                    message=message("/category")/>
                <TextField label="Description" name="type_description" required=false value=description
                    message=message("/description")/>
                <fieldset class="field">
                    <legend>"Levels"</legend>
                    <label class="choice"><input type="checkbox" bind:checked=tenant/> "Tenant"</label>
                    <label class="choice"><input type="checkbox" bind:checked=user/> "User"</label>
                    <p class="field-message" aria-live="polite">{move || message("/levels").get()}</p>
                </fieldset>
                <div class="field">
                    <label for="type_example">"Example data (JSON)"</label>
                    <p class="field-hint" id="type_example-hint">"The event's data in test deliveries."</p>
                    <textarea id="type_example" rows="5" class="mono" aria-describedby="type_example-hint type_example-message"
                        bind:value=example></textarea>
                    <p class="field-message" id="type_example-message" aria-live="polite">{move || message("/exampleData").get()}</p>
                </div>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>"Add event type"</button>
            </form>
            <FormAlert message=Signal::derive(move || form_message(error.get(), &fields))/>
            {move || action.value().get().and_then(Result::ok).map(|created| view! {
                <p class="notice" role="status">{format!("{} was added.", created.event_type.name)}</p>
            })}
        </section>
    }
}

#[component]
fn TypesTable(list: Vec<CustomEventType>, deleting: RwSignal<Option<String>>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|custom| {
            let known = custom.event_type;
            let levels = known
                .levels
                .iter()
                .map(|level| level.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let name = known.name.clone();
            view! {
                <tr data-event-type=known.name.clone()>
                    <th scope="row"><code>{known.name.clone()}</code></th>
                    <td>{known.title}</td>
                    <td>{known.category}</td>
                    <td>{levels}</td>
                    <td>{known.description}</td>
                    <td><code class="example">{custom.example_data}</code></td>
                    <td class="row-actions">
                        <button type="button" class="button" aria-label=format!("Delete {name}")
                            on:click=move |_| deleting.set(Some(name.clone()))>"Delete"</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"Custom event types of this tenant"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Title"</th>
                    <th scope="col">"Category"</th>
                    <th scope="col">"Levels"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Example data"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
