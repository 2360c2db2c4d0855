//! A webhook's delivery history, under its row while the expander is open: newest first,
//! filtered by status, paged, loaded again every few seconds so new deliveries and retries
//! show up by themselves. Each delivery can be resent and opened to its request and every
//! attempt's response.

use std::time::Duration;

use leptos::prelude::*;
use url::form_urlencoded;

use crate::{
    api::deliveries::{get_delivery, list_deliveries, ResendDelivery},
    components::{form::FormAlert, ticker::use_ticker, timestamp::Timestamp},
    deliveries::{Attempt, Delivery, DeliveryPage, DeliveryStatus},
    error::AppError,
    webhooks::{list_query::Page, Webhook},
};

/// Deliveries per page of a history.
const PAGE_SIZE: &str = "10";
/// How often an open history loads again.
const REFRESH: Duration = Duration::from_secs(2);

/// One line on how a delivery ended (or stands).
pub(super) fn outcome(delivery: &Delivery) -> String {
    let answer = delivery.response.as_ref().map(|response| {
        let status = response
            .status_code
            .map(|code| format!("HTTP {code}"))
            .unwrap_or_else(|| "no answer".to_owned());
        format!("{status} in {} ms", response.duration_ms)
    });
    let state = match delivery.status {
        DeliveryStatus::Success => "Delivered",
        DeliveryStatus::Fail => "Failed",
        DeliveryStatus::Pending => "Pending",
    };
    let mut text = state.to_owned();
    if let Some(answer) = answer {
        text.push_str(&format!(" — {answer}"));
    }
    if delivery.status != DeliveryStatus::Success && !delivery.status_message.is_empty() {
        text.push_str(&format!(": {}", delivery.status_message));
    }
    text
}

fn history_query(status: Option<DeliveryStatus>, page: &Page) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("limit", PAGE_SIZE);
    if let Some(status) = status {
        query.append_pair("status", status.as_str());
    }
    page.append_to(&mut query);
    query.finish()
}

#[component]
pub(super) fn DeliveryHistory(webhook: Webhook) -> impl IntoView {
    let tick = use_ticker(REFRESH);
    let status = RwSignal::new(None::<DeliveryStatus>);
    let page = RwSignal::new(Page::First);
    let reload = RwSignal::new(0u32);
    let opened = RwSignal::new(None::<String>);
    let resend = ServerAction::<ResendDelivery>::new();
    let webhook_id = StoredValue::new(webhook.id.clone());
    let deliveries = LocalResource::new(move || {
        let query = history_query(status.get(), &page.get());
        tick.track();
        reload.track();
        resend.version().track();
        let id = webhook_id.get_value();
        async move { list_deliveries(id, query).await }
    });
    // Keep showing the last answer while the next one loads, and redraw only when it differs.
    let latest = Memo::new(
        move |previous: Option<&Option<Result<DeliveryPage, AppError>>>| {
            deliveries.get().or_else(|| previous.cloned().flatten())
        },
    );
    let resent = Signal::derive(move || {
        resend.value().get().map(|result| match result {
            Ok(delivery) => (false, format!("Resent: {}", outcome(&delivery))),
            Err(error) => (true, error.to_string()),
        })
    });
    let heading_id = format!("history-title-{}", webhook.id);
    view! {
        <section class="history" aria-labelledby=heading_id.clone()>
            <div class="history-header">
                <h3 id=heading_id.clone()>{format!("Deliveries of “{}”", webhook.name)}</h3>
                <label>
                    "Status "
                    <select on:change=move |event| {
                        status.set(DeliveryStatus::parse(&event_target_value(&event)));
                        page.set(Page::First);
                    }>
                        <option value="">"All"</option>
                        <option value="pending">"Pending"</option>
                        <option value="success">"Success"</option>
                        <option value="fail">"Fail"</option>
                    </select>
                </label>
            </div>
            {move || resent.get().map(|(is_error, text)| view! {
                <p class:notice=!is_error class:form-alert=is_error role="status">{text}</p>
            })}
            {move || match latest.get() {
                None => Some(view! { <p class="loading">"Loading deliveries…"</p> }.into_any()),
                Some(Err(error)) => Some(view! { <FormAlert message=Signal::derive(move || Some(error.to_string()))/> }.into_any()),
                Some(Ok(list)) if list.data.is_empty() && list.prev.is_none() => Some(view! {
                    <p class="empty-note">
                        {if status.get_untracked().is_some() {
                            "No deliveries with this status in the last 7 days."
                        } else {
                            "No deliveries in the last 7 days. Send a test event from the row menu (⋯) to try the endpoint."
                        }}
                    </p>
                }
                .into_any()),
                Some(Ok(_)) => None,
            }}
            <Show when=move || latest.with(|list| matches!(list, Some(Ok(list)) if !list.data.is_empty()))>
                <DeliveryTable list=latest opened resend page/>
            </Show>
        </section>
    }
    .into_any()
}

/// The deliveries of the current page. Rows are keyed by id, status and attempt count, so a
/// refresh redraws only deliveries that moved on, and an open one's details load again then.
#[component]
fn DeliveryTable(
    list: Memo<Option<Result<DeliveryPage, AppError>>>,
    opened: RwSignal<Option<String>>,
    resend: ServerAction<ResendDelivery>,
    page: RwSignal<Page>,
) -> impl IntoView {
    let rows = move || {
        list.with(|list| match list {
            Some(Ok(list)) => list.data.clone(),
            _ => Vec::new(),
        })
    };
    let pager = move || {
        let (prev, next) = list.with(|list| match list {
            Some(Ok(DeliveryPage { prev, next, .. })) => (prev.clone(), next.clone()),
            _ => (None, None),
        });
        (next.is_some() || prev.is_some()).then(|| view! {
            <nav class="pager" aria-label="Pages of deliveries">
                {prev.map(|cursor| view! {
                    <button type="button" class="button" on:click=move |_| page.set(Page::Before(cursor.clone()))>"← Newer"</button>
                })}
                {next.map(|cursor| view! {
                    <button type="button" class="button" on:click=move |_| page.set(Page::After(cursor.clone()))>"Older →"</button>
                })}
            </nav>
        })
    };
    view! {
        <table class="data-table history-table">
            <caption class="visually-hidden">"Deliveries, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"Event type"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Trigger"</th>
                    <th scope="col">"Time"</th>
                    <th scope="col">"Response"</th>
                    <th scope="col">"Duration"</th>
                    <th scope="col">"Attempts"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=rows
                    key=|delivery| (delivery.id.clone(), delivery.status, delivery.attempt_count)
                    let:delivery
                >
                    <DeliveryRow delivery opened resend/>
                </For>
            </tbody>
        </table>
        {pager}
    }
    .into_any()
}

#[component]
fn DeliveryRow(
    delivery: Delivery,
    opened: RwSignal<Option<String>>,
    resend: ServerAction<ResendDelivery>,
) -> impl IntoView {
    let id = delivery.id.clone();
    let key = StoredValue::new(id.clone());
    let is_open = move || opened.with(|open| key.with_value(|id| open.as_ref() == Some(id)));
    let toggle = move |_| opened.set((!is_open()).then(|| key.get_value()));
    let do_resend = {
        let (webhook_id, delivery_id) = (delivery.webhook_id.clone(), id.clone());
        move |_| {
            resend.dispatch(ResendDelivery {
                webhook_id: webhook_id.clone(),
                delivery_id: delivery_id.clone(),
            });
        }
    };
    let (code, duration) = match &delivery.response {
        Some(response) => (
            response
                .status_code
                .map(|code| code.to_string())
                .unwrap_or_else(|| "—".into()),
            format!("{} ms", response.duration_ms),
        ),
        None => ("—".into(), "—".into()),
    };
    let details_id = format!("delivery-{id}");
    // Names which delivery a row's Resend and Details act on, for screen readers.
    let summary_id = format!("delivery-summary-{id}");
    let status = delivery.status;
    view! {
        <tr data-delivery=id.clone()>
            <td id=summary_id.clone()>{delivery.event_type.clone()}</td>
            <td>
                <span class=format!("badge {}", status.as_str()) title=delivery.status_message.clone()>{status.as_str()}</span>
            </td>
            <td>{delivery.trigger.as_str()}</td>
            <td class="time-cell"><Timestamp utc=delivery.triggered_at.clone()/></td>
            <td>{code}</td>
            <td>{duration}</td>
            <td>{delivery.attempt_count}</td>
            <td class="row-actions">
                <button type="button" class="button" on:click=do_resend disabled=move || resend.pending().get()
                    aria-describedby=summary_id.clone()>"Resend"</button>
                <button type="button" class="button" aria-expanded=move || is_open().to_string()
                    aria-controls=details_id.clone() aria-describedby=summary_id.clone() on:click=toggle>"Details"</button>
            </td>
        </tr>
        <Show when=is_open>
            <tr class="delivery-details-row" id=details_id.clone()>
                <td colspan="8">
                    <DeliveryDetails webhook_id=delivery.webhook_id.clone() delivery_id=delivery.id.clone()/>
                </td>
            </tr>
        </Show>
    }
    .into_any()
}

/// The request as sent (encrypted header values `**OMITTED**`) and every attempt's answer.
#[component]
fn DeliveryDetails(webhook_id: String, delivery_id: String) -> impl IntoView {
    let delivery =
        LocalResource::new(move || get_delivery(webhook_id.clone(), delivery_id.clone()));
    move || match delivery.get() {
        None => view! { <p class="loading">"Loading the delivery…"</p> }.into_any(),
        Some(Err(error)) => {
            view! { <p class="form-alert" role="alert">{error.to_string()}</p> }.into_any()
        }
        Some(Ok(delivery)) => {
            let attempts = delivery
                .attempts
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|attempt| view! { <AttemptView attempt/> })
                .collect_view();
            view! {
                <div class="delivery-details">
                    <section aria-label="Request">
                        <h4>"Request"</h4>
                        <p class="mono">"POST " {delivery.request.url.clone()}</p>
                        <HeaderList headers=delivery.request.headers.clone().into_iter().collect()/>
                        <pre class="payload">{pretty_json(&delivery.request.body)}</pre>
                    </section>
                    <section aria-label="Attempts">
                        <h4>{format!("Attempts ({})", delivery.attempt_count)}</h4>
                        {delivery.next_attempt_at.clone().map(|at| view! {
                            <p class="field-hint">"Next attempt: " <Timestamp utc=at/></p>
                        })}
                        {attempts}
                    </section>
                </div>
            }
            .into_any()
        }
    }
}

#[component]
fn AttemptView(attempt: Attempt) -> impl IntoView {
    let answer = match (attempt.status_code, &attempt.error) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "No answer".to_owned(),
    };
    view! {
        <article class="attempt">
            <p>
                <strong>{format!("Attempt {}", attempt.number)}</strong>
                " · " <Timestamp utc=attempt.started_at.clone()/>
                " · " {format!("{} ms", attempt.duration_ms)}
                " · " <span class="mono">{answer}</span>
            </p>
            {(!attempt.response_headers.is_empty()).then(|| view! { <HeaderList headers=attempt.response_headers.clone()/> })}
            {(!attempt.response_body.is_empty()).then(|| view! { <pre class="payload">{pretty_json(&attempt.response_body)}</pre> })}
        </article>
    }
    .into_any()
}

#[component]
fn HeaderList(headers: Vec<(String, String)>) -> impl IntoView {
    view! {
        <dl class="header-list">
            {headers.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
    }
}

/// JSON indented for reading; anything else as it is.
fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_indented_and_other_bodies_kept() {
        assert_eq!(pretty_json(r#"{"a":[1]}"#), "{\n  \"a\": [\n    1\n  ]\n}");
        assert_eq!(pretty_json("plain text"), "plain text");
    }

    #[test]
    fn history_queries_carry_status_and_cursor() {
        assert_eq!(history_query(None, &Page::First), "limit=10");
        assert_eq!(
            history_query(Some(DeliveryStatus::Fail), &Page::After("a+b".into())),
            "limit=10&status=fail&next=a%2Bb"
        );
    }
}
