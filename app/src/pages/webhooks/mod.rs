//! The webhooks screen (SPEC §6): the table (`table`, with its column filters in `filters`),
//! the create/edit panel (`panel`), the delete confirmation (`delete`), the test-event dialog
//! (`test_event`) and each row's delivery history (`history`). They share one [`Screen`].

mod delete;
mod filters;
mod history;
mod panel;
mod table;
mod test_event;

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

use crate::{
    accounts::Person,
    api::webhooks::{event_types, list_webhooks, people, PatchWebhook},
    error::AppError,
    event_types::EventType,
    webhooks::{list_query::ListQuery, Webhook, WebhookPage},
    CurrentUser,
};

/// What the create/edit panel is open for.
#[derive(Debug, Clone, PartialEq)]
enum PanelFor {
    Create,
    Edit(Box<Webhook>),
}

/// A line telling what the last action did.
#[derive(Debug, Clone, PartialEq)]
struct Notice {
    text: String,
    is_error: bool,
}

impl Notice {
    fn done(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: false,
        }
    }

    fn failed(error: &AppError) -> Self {
        Self {
            text: error.to_string(),
            is_error: true,
        }
    }
}

/// The state the parts of the screen share.
#[derive(Clone, Copy)]
struct Screen {
    /// Bumped after every change, so the table loads again.
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<Notice>>,
    panel: RwSignal<Option<PanelFor>>,
    /// The webhooks (id, name) a delete confirmation is open for.
    deleting: RwSignal<Option<Vec<(String, String)>>>,
    testing: RwSignal<Option<Webhook>>,
    /// Selected rows, id → name.
    selection: RwSignal<BTreeMap<String, String>>,
    /// Rows whose delivery history is open; kept across reloads of the table.
    expanded: RwSignal<BTreeSet<String>>,
    query: Memo<ListQuery>,
    /// The page of webhooks the URL asks for.
    webhooks: Resource<Result<WebhookPage, AppError>>,
    /// Enable webhook / Disable webhook, whichever row it came from.
    set_enabled: ServerAction<PatchWebhook>,
    /// Navigates to an address inside the console.
    navigate: Callback<String>,
    catalogue: Resource<Result<Vec<EventType>, AppError>>,
    people: Resource<Result<Vec<Person>, AppError>>,
}

impl Screen {
    fn changed(&self, notice: Notice) {
        self.notice.set(Some(notice));
        self.refresh.update(|n| *n += 1);
    }

    /// Shows `query` by changing the URL, so reload and back/forward keep it.
    fn show(&self, query: &ListQuery) {
        self.navigate.run(list_href(query));
    }
}

/// The address of the table showing `query`.
fn list_href(query: &ListQuery) -> String {
    match query.to_query_string() {
        text if text.is_empty() => "/webhooks".to_owned(),
        text => format!("/webhooks?{text}"),
    }
}

/// The table, with everything it opens.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|map| {
            ListQuery::from_pairs(
                map.latest_values()
                    .map(|(name, value)| (name.as_ref(), value)),
            )
        })
    });
    let navigate = use_navigate();
    let refresh = RwSignal::new(0);
    let requested = Memo::new(move |_| (query.get().to_query_string(), refresh.get()));
    let webhooks = Resource::new(move || requested.get(), |(text, _)| list_webhooks(text));
    let screen = Screen {
        webhooks,
        set_enabled: ServerAction::new(),
        navigate: Callback::new(move |href: String| navigate(&href, NavigateOptions::default())),
        refresh,
        notice: RwSignal::new(None),
        panel: RwSignal::new(None),
        deleting: RwSignal::new(None),
        testing: RwSignal::new(None),
        selection: RwSignal::new(BTreeMap::new()),
        expanded: RwSignal::new(BTreeSet::new()),
        query,
        catalogue: Resource::new(|| (), |_| event_types()),
        people: Resource::new(|| (), |_| people()),
    };
    provide_context(screen);
    Effect::new(move |_| match screen.set_enabled.value().get() {
        Some(Ok(changed)) => screen.changed(Notice::done(format!(
            "“{}” is {}.",
            changed.name,
            if changed.enabled {
                "enabled"
            } else {
                "disabled"
            }
        ))),
        Some(Err(error)) => screen.notice.set(Some(Notice::failed(&error))),
        None => {}
    });
    // Busy from asking for another page until it arrives. These effects run in the browser
    // only: Transition's `set_pending` would run one on the server too, which outlives a request
    // whose client went away and then reads that request's disposed signals.
    let loading = RwSignal::new(false);
    Effect::new(move |asked_before: Option<()>| {
        requested.track();
        if asked_before.is_some() {
            loading.set(true);
        }
    });
    Effect::new(move |_| {
        webhooks.track();
        loading.set(false);
    });
    let user = expect_context::<CurrentUser>().0;
    let selected = move || screen.selection.with(BTreeMap::len);
    view! {
        <Title text="Webhooks"/>
        <div class="page-header">
            <h1>"Webhooks"</h1>
            <div class="page-actions">
                <button
                    type="button"
                    class="button danger"
                    disabled=move || selected() == 0
                    on:click=move |_| {
                        let mut chosen: Vec<_> = screen.selection.get_untracked().into_iter().collect();
                        chosen.sort_by(|a, b| a.1.cmp(&b.1));
                        screen.deleting.set(Some(chosen));
                    }
                >
                    {move || match selected() {
                        0 | 1 => "Delete".to_owned(),
                        count => format!("Delete ({count})"),
                    }}
                </button>
                <button
                    type="button"
                    class="button primary"
                    on:click=move |_| screen.panel.set(Some(PanelFor::Create))
                >
                    "Create"
                </button>
            </div>
        </div>
        <NoticeLine notice=screen.notice/>
        <Transition fallback=|| view! { <p class="loading">"Loading webhooks…"</p> }>
            <table::WebhooksTable loading/>
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_in = user.await;
                let catalogue = screen.catalogue.await;
                let people = screen.people.await;
                match (signed_in, catalogue, people) {
                    (Ok(Some(user)), Ok(catalogue), Ok(people)) => {
                        view! { <panel::WebhookPanel user catalogue people/> }.into_any()
                    }
                    (Ok(None), _, _) => ().into_any(),
                    (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => view! {
                        <p class="form-alert" role="alert">
                            "Webhooks cannot be created or edited right now: " {error.to_string()}
                        </p>
                    }
                    .into_any(),
                }
            })}
        </Transition>
        <delete::DeleteDialog/>
        <test_event::TestEventDialog/>
    }
}

/// The outcome of the last action, announced to screen readers.
#[component]
fn NoticeLine(notice: RwSignal<Option<Notice>>) -> impl IntoView {
    view! {
        <div class="notice-line" role="status" aria-live="polite">
            {move || notice.get().map(|shown| view! {
                <p class:notice=!shown.is_error class:form-alert=shown.is_error>
                    <span>{shown.text}</span>
                    <button type="button" class="button link" on:click=move |_| notice.set(None)>
                        "Dismiss"
                    </button>
                </p>
            })}
        </div>
    }
}
