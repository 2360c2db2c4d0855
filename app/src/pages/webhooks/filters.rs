//! The filter icon of a column and the small form it opens: text for Name and URL (matched
//! whole or in part, any case, by the server), choice lists for Event types, Status and Owner.
//! Applying one changes the URL, so the filter survives reload and back/forward.

use leptos::{ev, html, prelude::*};

use super::Screen;
use crate::{
    components::popup::{focus, focus_left, follow_anchor, Align},
    webhooks::list_query::ListQuery,
};

/// The columns that can be filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Name,
    Url,
    EventTypes,
    Status,
    Owner,
}

impl Column {
    fn is_active(self, query: &ListQuery) -> bool {
        match self {
            Column::Name => query.name.is_some(),
            Column::Url => query.url.is_some(),
            Column::EventTypes => !query.event_types.is_empty(),
            Column::Status => query.enabled.is_some(),
            Column::Owner => query.owner_id.is_some(),
        }
    }

    fn cleared(self, query: &mut ListQuery) {
        match self {
            Column::Name => query.name = None,
            Column::Url => query.url = None,
            Column::EventTypes => query.event_types.clear(),
            Column::Status => query.enabled = None,
            Column::Owner => query.owner_id = None,
        }
    }
}

/// The funnel button in a column header and, while open, its filter form.
#[component]
pub(super) fn FilterButton(column: Column, label: &'static str) -> impl IntoView {
    let screen = expect_context::<Screen>();
    let open = RwSignal::new(false);
    let active = move || screen.query.with(|query| column.is_active(query));
    let button = NodeRef::<html::Button>::new();
    let popup = NodeRef::<html::Div>::new();
    let wrapper = NodeRef::<html::Div>::new();
    follow_anchor(open, button, popup, Align::Left);
    // Opening moves focus to the form's first control.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        focus(
            popup
                .get()
                .and_then(|popup| popup.query_selector("input, select, button").ok().flatten()),
        );
    });

    let close = move || {
        open.set(false);
        // Back to the button the form was opened from (it may be gone after a reload).
        focus(button.get().map(Into::into));
    };
    let on_key = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            close();
        }
    };
    let form_id = format!("filter-{}", label.to_lowercase().replace(' ', "-"));
    let on_focus_out = move |event: ev::FocusEvent| {
        if focus_left(&event, wrapper.get()) {
            open.set(false);
        }
    };
    view! {
        <div class="filter" node_ref=wrapper on:keydown=on_key on:focusout=on_focus_out>
        <button
            type="button"
            class="button icon filter-button"
            class:active=active
            node_ref=button
            aria-label=format!("Filter by {label}")
            aria-expanded=move || open.get().to_string()
            aria-controls=form_id.clone()
            on:click=move |_| open.update(|open| *open = !*open)
        >
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
                <path d="M1 2h14l-5.5 6.5V14l-3-1.5V8.5z" fill="currentColor"/>
            </svg>
        </button>
        <Show when=move || open.get()>
            <div class="filter-popover" id=form_id.clone() role="group" aria-label=format!("Filter by {label}") node_ref=popup>
                <FilterForm column label close=Callback::new(move |()| close())/>
            </div>
        </Show>
        </div>
    }
    .into_any()
}

/// How Apply changes the list query: built from what the form holds when it is submitted.
type QueryChange = Box<dyn FnOnce(&mut ListQuery)>;

/// The form inside the popover; Apply and Clear change the URL and close it.
#[component]
fn FilterForm(column: Column, label: &'static str, close: Callback<()>) -> impl IntoView {
    let screen = expect_context::<Screen>();
    let current = screen.query.get_untracked();
    let apply = move |change: QueryChange| {
        let query = screen.query.with_untracked(|query| query.filtered(change));
        screen.show(&query);
        close.run(());
    };
    let (fields, chosen): (AnyView, Box<dyn Fn() -> QueryChange>) = match column {
        Column::Name | Column::Url => {
            let text = RwSignal::new(
                match column {
                    Column::Name => current.name.clone(),
                    _ => current.url.clone(),
                }
                .unwrap_or_default(),
            );
            let chosen = move || -> QueryChange {
                let value = Some(text.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
                Box::new(move |query: &mut ListQuery| match column {
                    Column::Name => query.name = value,
                    _ => query.url = value,
                })
            };
            let fields = view! {
                <label>
                    {format!("{label} contains")}
                    <input type="search" bind:value=text/>
                </label>
            };
            (fields.into_any(), Box::new(chosen))
        }
        Column::EventTypes => {
            let chosen = RwSignal::new(current.event_types.clone());
            let options = move || {
                screen
                    .catalogue
                    .get()
                    .and_then(Result::ok)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|known| {
                        let name = known.name.clone();
                        let checked = {
                            let name = name.clone();
                            move || chosen.with(|chosen| chosen.contains(&name))
                        };
                        view! {
                            <label class="choice">
                                <input
                                    type="checkbox"
                                    prop:checked=checked
                                    on:change=move |_| chosen.update(|chosen| {
                                        if let Some(at) = chosen.iter().position(|n| *n == name) {
                                            chosen.remove(at);
                                        } else {
                                            chosen.push(name.clone());
                                        }
                                    })
                                />
                                {known.label()}
                            </label>
                        }
                    })
                    .collect_view()
            };
            let fields = view! {
                <fieldset>
                    <legend>"Subscribed to any of"</legend>
                    {options}
                </fieldset>
            };
            let change = move || -> QueryChange {
                let types = chosen.get_untracked();
                Box::new(move |query: &mut ListQuery| query.event_types = types)
            };
            (fields.into_any(), Box::new(change))
        }
        Column::Status => {
            let chosen = RwSignal::new(current.enabled);
            let choice = move |text: &'static str, value: Option<bool>| {
                view! {
                    <label class="choice">
                        <input
                            type="radio"
                            name="status-filter"
                            checked=current.enabled == value
                            on:change=move |_| chosen.set(value)
                        />
                        {text}
                    </label>
                }
            };
            let fields = view! {
                <fieldset>
                    <legend>"Show"</legend>
                    {choice("All", None)}
                    {choice("Enabled", Some(true))}
                    {choice("Disabled", Some(false))}
                </fieldset>
            };
            let change = move || -> QueryChange {
                let enabled = chosen.get_untracked();
                Box::new(move |query: &mut ListQuery| query.enabled = enabled)
            };
            (fields.into_any(), Box::new(change))
        }
        Column::Owner => {
            let owner = RwSignal::new(current.owner_id.clone().unwrap_or_default());
            let options = move || {
                screen.people.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|person| {
                    let selected = owner.get_untracked() == person.id;
                    view! { <option value=person.id selected=selected>{person.display_name}</option> }
                }).collect_view()
            };
            let fields = view! {
                <label>
                    "Owner"
                    <select bind:value=owner>
                        <option value="">"Anyone"</option>
                        {options}
                    </select>
                </label>
            };
            let change = move || -> QueryChange {
                let value = Some(owner.get_untracked()).filter(|v| !v.is_empty());
                Box::new(move |query: &mut ListQuery| query.owner_id = value)
            };
            (fields.into_any(), Box::new(change))
        }
    };
    let submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        apply(chosen());
    };
    // Status has no Clear: its "All" choice is the cleared filter.
    let clear = (column != Column::Status).then(|| {
        let clear = move |_| apply(Box::new(move |query: &mut ListQuery| column.cleared(query)));
        view! { <button type="button" class="button" on:click=clear>"Clear"</button> }
    });
    view! {
        <form on:submit=submit>
            {fields}
            <div class="filter-actions">
                <button type="submit" class="button primary">"Apply"</button>
                {clear}
            </div>
        </form>
    }
    .into_any()
}
