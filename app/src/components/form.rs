//! Pieces every form uses: a labelled field with its message, and the form-level alert.
//! Messages come from the shared validation rules via [`AppError`].

use leptos::prelude::*;

use crate::error::AppError;

/// The message for `field` (a JSON pointer such as `/email`) in an action's latest error.
pub fn field_message(error: Option<AppError>, field: &str) -> Option<String> {
    error.and_then(|error| error.message_for(field))
}

/// The latest error, unless it is about one of `fields` (those show beside their input).
pub fn form_message(error: Option<AppError>, fields: &[&str]) -> Option<String> {
    error.and_then(|error| match &error {
        AppError::Invalid { field, .. } if fields.contains(&field.as_str()) => None,
        _ => Some(error.to_string()),
    })
}

/// A labelled input whose message appears below it and is announced by screen readers.
#[component]
pub fn TextField(
    /// The visible label.
    label: &'static str,
    /// The input's `name` (the server function's argument) and `id`.
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: String,
    #[prop(default = true)] required: bool,
    /// Holds the value while typing; kept when the form is refused.
    #[prop(optional)]
    value: Option<RwSignal<String>>,
    /// The message to show, if any.
    #[prop(into)]
    message: Signal<Option<String>>,
) -> impl IntoView {
    let message_id = format!("{name}-message");
    let hint_id = format!("{name}-hint");
    let described_by = if hint.is_empty() {
        message_id.clone()
    } else {
        format!("{hint_id} {message_id}")
    };
    let value = value.unwrap_or_else(|| RwSignal::new(String::new()));
    view! {
        <div class="field" class:field-invalid=move || message.get().is_some()>
            <label for=name>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=described_by
                bind:value=value
            />
            <p class="field-message" id=message_id aria-live="polite">
                {move || message.get()}
            </p>
        </div>
    }
}

/// The form-level alert for errors that are not about one field.
#[component]
pub fn FormAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="form-alert" role="alert" class:hidden=move || message.get().is_none()>
            {move || message.get()}
        </p>
    }
}
