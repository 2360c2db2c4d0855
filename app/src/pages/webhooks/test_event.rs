//! Send test event (row menu): choose one of the webhook's types, queue its example event to
//! this webhook only, and follow the new delivery until it succeeds or fails. The delivery
//! also appears in the row's history, which opens.

use std::time::Duration;

use leptos::prelude::*;

use super::{history::outcome, Screen};
use crate::{
    api::deliveries::{get_delivery, SendTestEvent},
    components::{form::FormAlert, modal::Modal, ticker::use_ticker},
    deliveries::DeliveryStatus,
    webhooks::Webhook,
};

#[component]
pub(super) fn TestEventDialog() -> impl IntoView {
    let screen = expect_context::<Screen>();
    view! {
        <Modal
            open=Signal::derive(move || screen.testing.with(Option::is_some))
            on_close=Callback::new(move |()| screen.testing.set(None))
            labelled_by="test-event-title"
        >
            {move || screen.testing.get().map(|webhook| view! { <TestEventForm webhook/> })}
        </Modal>
    }
}

#[component]
fn TestEventForm(webhook: Webhook) -> impl IntoView {
    let screen = expect_context::<Screen>();
    let send = ServerAction::<SendTestEvent>::new();
    let chosen = RwSignal::new(webhook.event_types.first().cloned().unwrap_or_default());
    let webhook_id = webhook.id.clone();
    Effect::new({
        let webhook_id = webhook_id.clone();
        move |_| {
            if let Some(Ok(_)) = send.value().get() {
                screen.expanded.update(|open| {
                    open.insert(webhook_id.clone());
                });
            }
        }
    });
    let error = Signal::derive(move || {
        send.value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    let submit = {
        let webhook_id = webhook_id.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            send.dispatch(SendTestEvent {
                webhook_id: webhook_id.clone(),
                event_type: chosen.get_untracked(),
            });
        }
    };
    let options = webhook
        .event_types
        .iter()
        .map(|name| view! { <option value=name.clone()>{name.clone()}</option> })
        .collect_view();
    view! {
        <form on:submit=submit>
            <div class="dialog-body">
                <h2 id="test-event-title">{format!("Send a test event to “{}”", webhook.name)}</h2>
                <p>"Herald sends the type's example event to this webhook only, signed like any other."</p>
                <div class="field">
                    <label for="test-event-type">"Event type"</label>
                    <select id="test-event-type" bind:value=chosen>{options}</select>
                </div>
                <FormAlert message=error/>
                {move || send.value().get().and_then(Result::ok).map(|delivery_id| view! {
                    <TestOutcome webhook_id=webhook_id.clone() delivery_id/>
                })}
            </div>
            <footer class="dialog-footer">
                <button type="button" class="button" on:click=move |_| screen.testing.set(None)>"Close"</button>
                <button type="submit" class="button primary" disabled=move || send.pending().get()>"Send test event"</button>
            </footer>
        </form>
    }
}

/// Follows the test delivery until it is no longer pending.
#[component]
fn TestOutcome(webhook_id: String, delivery_id: String) -> impl IntoView {
    let tick = use_ticker(Duration::from_secs(1));
    let settled = RwSignal::new(None::<String>);
    let delivery = LocalResource::new(move || {
        let (webhook_id, delivery_id) = (webhook_id.clone(), delivery_id.clone());
        // Stop asking once the delivery has an outcome.
        let wanted = settled.with(Option::is_none).then(|| tick.get());
        async move {
            match wanted {
                Some(_) => Some(get_delivery(webhook_id, delivery_id).await),
                None => None,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Some(Ok(delivery))) = delivery.get() {
            if delivery.status != DeliveryStatus::Pending {
                settled.set(Some(outcome(&delivery)));
            }
        }
    });
    view! {
        <p class="notice" role="status">
            {move || settled.get().unwrap_or_else(|| match delivery.get() {
                Some(Some(Err(error))) => error.to_string(),
                _ => "Queued; waiting for the endpoint's answer…".to_owned(),
            })}
        </p>
    }
}
