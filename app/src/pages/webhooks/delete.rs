//! Deleting webhooks, one from its row menu or the selected ones: a confirmation that names
//! them, then one call that deletes them in order and stops at the first refusal.

use leptos::prelude::*;

use super::{Notice, Screen};
use crate::{api::webhooks::DeleteWebhooks, components::confirm::ConfirmDialog};

#[component]
pub(super) fn DeleteDialog() -> impl IntoView {
    let screen = expect_context::<Screen>();
    let delete = ServerAction::<DeleteWebhooks>::new();
    let targets = move || screen.deleting.get().unwrap_or_default();
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            let gone = screen.deleting.get_untracked().unwrap_or_default();
            screen.deleting.set(None);
            screen.selection.update(|selected| {
                for (id, _) in &gone {
                    selected.remove(id);
                }
            });
            let text = match gone.as_slice() {
                [(_, name)] => format!("“{name}” was deleted."),
                many => format!("{} webhooks were deleted.", many.len()),
            };
            screen.changed(Notice::done(text));
        }
        // Some may be gone already: show the table as it is now, and the error in the dialog.
        Some(Err(_)) => screen.refresh.update(|n| *n += 1),
        None => {}
    });
    let error = Signal::derive(move || {
        delete
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| error.to_string())
    });
    let title = Signal::derive(move || match targets().len() {
        1 => "Delete this webhook?".to_owned(),
        count => format!("Delete these {count} webhooks?"),
    });
    view! {
        <ConfirmDialog
            open=Signal::derive(move || screen.deleting.with(Option::is_some))
            title
            id="delete-webhooks"
            confirm_label="Delete"
            pending=delete.pending()
            error
            on_cancel=Callback::new(move |()| {
                delete.clear();
                screen.deleting.set(None);
            })
            on_confirm=Callback::new(move |()| {
                let ids = targets().into_iter().map(|(id, _)| id).collect();
                delete.dispatch(DeleteWebhooks { ids });
            })
        >
            <p>"Herald stops delivering to them and deletes their delivery history. This cannot be undone."</p>
            <ul class="delete-list">
                {move || targets().into_iter().map(|(_, name)| view! { <li>{name}</li> }).collect_view()}
            </ul>
        </ConfirmDialog>
    }
}
