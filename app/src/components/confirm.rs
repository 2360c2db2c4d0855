//! A confirmation dialog for what cannot be undone: the body says what will happen, the
//! confirm button acts, Cancel or Escape aborts, and a failure is shown inside the dialog.

use leptos::prelude::*;

use super::{form::FormAlert, modal::Modal};

#[component]
pub fn ConfirmDialog(
    #[prop(into)] open: Signal<bool>,
    /// The dialog's heading; its element id is `{id}-title`.
    #[prop(into)]
    title: Signal<String>,
    id: &'static str,
    confirm_label: &'static str,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] error: Signal<Option<String>>,
    children: ChildrenFn,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    view! {
        <Modal open on_close=on_cancel labelled_by=title_id.clone()>
            <div class="dialog-body" id=id>
                <h2 id=title_id.clone()>{move || title.get()}</h2>
                {children()}
                <FormAlert message=error/>
            </div>
            <footer class="dialog-footer">
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="button" class="button danger" disabled=move || pending.get()
                    on:click=move |_| on_confirm.run(())>
                    {confirm_label}
                </button>
            </footer>
        </Modal>
    }
}
