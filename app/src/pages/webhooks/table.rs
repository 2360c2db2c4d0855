//! Where the webhooks table is rendered: sortable headers, column filters, selectable rows with
//! their menu and history expander, paging, and the empty states.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{
    filters::{Column, FilterButton},
    history::DeliveryHistory,
    list_href, PanelFor, Screen,
};
use crate::{
    accounts::Person,
    api::webhooks::PatchWebhook,
    components::{
        menu::{Menu, MenuItem},
        timestamp::Timestamp,
    },
    event_types::EventType,
    webhooks::{
        list_query::{ListQuery, Page, SortField},
        Webhook,
    },
};

/// "Apps: Created" for a type in the catalogue, the type's name otherwise.
fn event_type_label(catalogue: &[EventType], name: &str) -> String {
    catalogue
        .iter()
        .find(|known| known.name == name)
        .map_or_else(|| name.to_owned(), EventType::label)
}

/// The owner's name, or their id when the people list is not available.
fn owner_label(people: &[Person], id: &str) -> String {
    people
        .iter()
        .find(|person| person.id == id)
        .map(|person| person.display_name.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// The table. Its header is built once, so focus stays on a sort link or filter after it is
/// used; rows are keyed by id and last update, so a reload redraws only what changed and an
/// open history stays open.
#[component]
pub(super) fn WebhooksTable(loading: RwSignal<bool>) -> impl IntoView {
    let screen = expect_context::<Screen>();
    // Read in place: the page is not copied for every question asked of it.
    let rows = move || {
        screen.webhooks.with(|page| match page {
            Some(Ok(page)) => page.data.clone(),
            _ => Vec::new(),
        })
    };
    let error = move || {
        screen
            .webhooks
            .with(|page| page.as_ref().and_then(|page| page.as_ref().err().cloned()))
    };
    let is_empty = move || {
        screen.webhooks.with(
            |page| matches!(page, Some(Ok(page)) if page.data.is_empty() && page.prev.is_none()),
        )
    };
    let nothing_at_all = move || is_empty() && !screen.query.with(ListQuery::has_filters);
    let nothing_matches = move || is_empty() && screen.query.with(ListQuery::has_filters);
    let on_page = move || {
        rows()
            .into_iter()
            .map(|webhook| (webhook.id, webhook.name))
            .collect::<Vec<_>>()
    };
    let all_selected = move || {
        screen.webhooks.with(|page| {
            let Some(Ok(page)) = page else { return false };
            !page.data.is_empty()
                && screen.selection.with(|selected| {
                    page.data
                        .iter()
                        .all(|webhook| selected.contains_key(&webhook.id))
                })
        })
    };
    let toggle_all = move |_| {
        let select = !all_selected();
        screen.selection.update(|selected| {
            for (id, name) in on_page() {
                if select {
                    selected.insert(id, name);
                } else {
                    selected.remove(&id);
                }
            }
        });
    };
    let clear_filters = move || list_href(&screen.query.with(ListQuery::without_filters));
    view! {
        {move || error().map(|error| view! {
            <p class="form-alert" role="alert">"The webhooks could not be loaded: " {error.to_string()}</p>
        })}
        <Show when=nothing_at_all>
            <EmptyState/>
        </Show>
        <div class="table-scroll" class:hidden=nothing_at_all aria-busy=move || loading.get().to_string()>
            <table class="data-table webhooks-table">
                <caption class="visually-hidden">"Webhooks"</caption>
                <thead>
                    <tr>
                        <th scope="col" class="select-cell">
                            <input
                                type="checkbox"
                                aria-label="Select all webhooks on this page"
                                prop:checked=all_selected
                                on:change=toggle_all
                            />
                        </th>
                        <SortHeader label="Name" field=SortField::Name filter=Column::Name/>
                        <SortHeader label="URL" field=SortField::Url filter=Column::Url/>
                        <FilterHeader label="Event types" filter=Column::EventTypes/>
                        <FilterHeader label="Status" filter=Column::Status/>
                        <FilterHeader label="Owner" filter=Column::Owner/>
                        <SortHeader label="Created" field=SortField::CreatedAt/>
                        <SortHeader label="Updated" field=SortField::UpdatedAt/>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=rows key=|webhook| (webhook.id.clone(), webhook.updated_at.clone()) let:webhook>
                        <WebhookRow webhook/>
                    </For>
                    <Show when=nothing_matches>
                        <tr>
                            <td colspan="9" class="empty-row">
                                <h2 id="webhooks-empty-title">"No webhooks match these filters"</h2>
                                <A href=clear_filters attr:class="button">"Clear filters"</A>
                            </td>
                        </tr>
                    </Show>
                </tbody>
            </table>
        </div>
        <Pager/>
    }
    .into_any()
}

/// A header that sorts by its column (a link, so the order is in the URL) and may filter it.
#[component]
fn SortHeader(
    label: &'static str,
    field: SortField,
    #[prop(optional)] filter: Option<Column>,
) -> impl IntoView {
    let screen = expect_context::<Screen>();
    let sort = move || screen.query.with(|query| query.effective_sort());
    let aria_sort = move || match sort() {
        current if current.field != field => "none",
        current if current.descending => "descending",
        _ => "ascending",
    };
    let arrow = move || match aria_sort() {
        "ascending" => "↑",
        "descending" => "↓",
        _ => "",
    };
    let href = move || list_href(&screen.query.with(|query| query.sorted_by(field)));
    view! {
        <th scope="col" aria-sort=aria_sort>
            <div class="header-cell">
                <A href=href attr:class="sort-link">
                    {label}
                    <span class="sort-arrow" aria-hidden="true">{arrow}</span>
                </A>
                {filter.map(|column| view! { <FilterButton column label/> })}
            </div>
        </th>
    }
    .into_any()
}

/// A header that filters its column.
#[component]
fn FilterHeader(label: &'static str, filter: Column) -> impl IntoView {
    view! {
        <th scope="col">
            <div class="header-cell">
                <span>{label}</span>
                <FilterButton column=filter label/>
            </div>
        </th>
    }
    .into_any()
}

#[component]
fn WebhookRow(webhook: Webhook) -> impl IntoView {
    let screen = expect_context::<Screen>();
    let set_enabled = screen.set_enabled;
    let id = webhook.id.clone();
    let history_id = format!("history-{id}");
    let key = StoredValue::new(id.clone());
    let expanded = move || {
        screen
            .expanded
            .with(|open| key.with_value(|id| open.contains(id)))
    };
    let selected = move || {
        screen
            .selection
            .with(|selected| key.with_value(|id| selected.contains_key(id)))
    };
    let toggle_selected = {
        let (id, name) = (id.clone(), webhook.name.clone());
        move |_| {
            screen.selection.update(|selected| {
                if selected.remove(&id).is_none() {
                    selected.insert(id.clone(), name.clone());
                }
            })
        }
    };
    let toggle_history = {
        let id = id.clone();
        move |_| {
            screen.expanded.update(|open| {
                if !open.remove(&id) {
                    open.insert(id.clone());
                }
            })
        }
    };
    let menu_items = {
        let webhook = webhook.clone();
        move || {
            let edit = webhook.clone();
            let test = webhook.clone();
            let target = (webhook.id.clone(), webhook.name.clone());
            let (id, enable) = (webhook.id.clone(), !webhook.enabled);
            vec![
                MenuItem::new("Edit", move || {
                    screen
                        .panel
                        .set(Some(PanelFor::Edit(Box::new(edit.clone()))))
                }),
                MenuItem::new(
                    if enable {
                        "Enable webhook"
                    } else {
                        "Disable webhook"
                    },
                    move || {
                        set_enabled.dispatch(PatchWebhook {
                            id: id.clone(),
                            operations: serde_json::json!([
                                {"op": "replace", "path": "/enabled", "value": enable}
                            ]),
                        });
                    },
                ),
                MenuItem::new("Send test event", move || {
                    screen.testing.set(Some(test.clone()))
                }),
                MenuItem::new("Delete", move || {
                    screen.deleting.set(Some(vec![target.clone()]))
                })
                .danger(),
            ]
        }
    };
    let types = webhook.event_types.clone();
    let event_types = move || {
        screen.catalogue.with(|catalogue| {
            let catalogue = match catalogue {
                Some(Ok(catalogue)) => catalogue.as_slice(),
                _ => &[],
            };
            types
                .iter()
                .map(|name| event_type_label(catalogue, name))
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let owner_id = webhook.owner_id.clone();
    let owner = move || {
        screen.people.with(|people| match people {
            Some(Ok(people)) => owner_label(people, &owner_id),
            _ => owner_id.clone(),
        })
    };
    let status = if webhook.enabled {
        view! { <span class="badge success">"Enabled"</span> }.into_any()
    } else {
        view! {
            <span class="badge muted">"Disabled"</span>
            {webhook.disabled_reason.clone().map(|reason| view! { <span class="cell-note">{reason}</span> })}
        }
        .into_any()
    };
    let name = webhook.name.clone();
    view! {
        <tr data-webhook=webhook.name.clone() class:selected=selected>
            <td class="select-cell">
                <input
                    type="checkbox"
                    aria-label=format!("Select {name}")
                    prop:checked=selected
                    on:change=toggle_selected
                />
            </td>
            <th scope="row" class="name-cell">
                <span>{webhook.name.clone()}</span>
                {webhook.description.clone().map(|text| view! { <span class="cell-note">{text}</span> })}
            </th>
            <td class="url-cell" title=webhook.url.clone()>{webhook.url.clone()}</td>
            <td>{event_types}</td>
            <td class="status-cell">{status}</td>
            <td>{owner}</td>
            <td class="time-cell"><Timestamp utc=webhook.created_at.clone()/></td>
            <td class="time-cell"><Timestamp utc=webhook.updated_at.clone()/></td>
            <td class="row-actions">
                <Menu label="⋯" name=format!("Actions for {name}") items=menu_items/>
                <button
                    type="button"
                    class="button icon expander"
                    aria-label=format!("Delivery history of {name}")
                    aria-expanded=move || expanded().to_string()
                    aria-controls=history_id.clone()
                    on:click=toggle_history
                >
                    <span aria-hidden="true">"▾"</span>
                </button>
            </td>
        </tr>
        <Show when=expanded>
            <tr class="history-row" id=history_id.clone()>
                <td colspan="9">
                    <DeliveryHistory webhook=webhook.clone()/>
                </td>
            </tr>
        </Show>
    }
    .into_any()
}

/// Previous / next page links, when there is such a page.
#[component]
fn Pager() -> impl IntoView {
    let screen = expect_context::<Screen>();
    let cursors = move || {
        screen.webhooks.with(|page| match page {
            Some(Ok(page)) => (page.prev.clone(), page.next.clone()),
            _ => (None, None),
        })
    };
    let link = move |page: Page| list_href(&screen.query.with(|query| query.on_page(page)));
    move || {
        let (prev, next) = cursors();
        (next.is_some() || prev.is_some()).then(|| {
            view! {
                <nav class="pager" aria-label="Pages of webhooks">
                    {prev.map(|cursor| view! { <A href=link(Page::Before(cursor)) attr:class="button">"← Previous"</A> })}
                    {next.map(|cursor| view! { <A href=link(Page::After(cursor)) attr:class="button">"Next →"</A> })}
                </nav>
            }
        })
    }
}

/// No webhooks at all yet.
#[component]
fn EmptyState() -> impl IntoView {
    let screen = expect_context::<Screen>();
    view! {
        <section class="empty-state" aria-labelledby="webhooks-empty-title">
            <h2 id="webhooks-empty-title">"No webhooks yet"</h2>
            <p>
                "Webhooks send a signed HTTPS request to your endpoint whenever a subscribed event happens in this tenant."
            </p>
            <p>
                <button type="button" class="button primary" on:click=move |_| screen.panel.set(Some(PanelFor::Create))>
                    "Create your first webhook"
                </button>
            </p>
        </section>
    }
}
