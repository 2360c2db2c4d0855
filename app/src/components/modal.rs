//! A modal dialog on the browser's own `<dialog>`: `showModal()` makes the rest of the page
//! inert (focus stays inside), Escape cancels, and closing returns focus to where it was.

use leptos::{html, prelude::*};

/// Shows `children` in a modal dialog while `open` holds; Escape calls `on_close`.
#[component]
pub fn Modal(
    #[prop(into)] open: Signal<bool>,
    on_close: Callback<()>,
    /// The id of the element that names the dialog (its heading).
    #[prop(into)]
    labelled_by: String,
    /// `dialog` for a centred box, `dialog drawer` for a side panel.
    #[prop(default = "dialog")]
    class: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let wanted = open.get();
        if let Some(element) = dialog.get() {
            if wanted && !element.open() {
                if let Err(error) = element.show_modal() {
                    leptos::logging::error!("the dialog could not open: {error:?}");
                }
            } else if !wanted && element.open() {
                element.close();
            }
        }
    });
    view! {
        <dialog
            node_ref=dialog
            class=class
            aria-labelledby=labelled_by
            on:cancel=move |event: leptos::ev::Event| {
                // Escape: the state decides whether the dialog is open, so ask it to close.
                event.prevent_default();
                on_close.run(());
            }
        >
            <Show when=move || open.get()>{children()}</Show>
        </dialog>
    }
}
