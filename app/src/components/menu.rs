//! A menu button (the row menu ⋯): Enter, Space or a click opens it on its first item, arrow
//! keys move between items, Escape closes it and returns to the button, leaving it closes it.

use leptos::{ev, html, prelude::*, wasm_bindgen::JsCast, web_sys::Element};

use super::popup::{focus, focus_left, follow_anchor, Align};

/// One entry of a [`Menu`].
pub struct MenuItem {
    pub label: String,
    pub danger: bool,
    pub action: Callback<()>,
}

impl MenuItem {
    pub fn new(label: impl Into<String>, action: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            label: label.into(),
            danger: false,
            action: Callback::new(move |()| action()),
        }
    }

    pub fn danger(self) -> Self {
        Self {
            danger: true,
            ..self
        }
    }
}

/// The button `label` (its accessible name is `name`) and the menu it opens. `items` is read
/// each time the menu opens, so labels such as "Enable webhook" follow the current state.
#[component]
pub fn Menu(
    label: &'static str,
    #[prop(into)] name: String,
    items: impl Fn() -> Vec<MenuItem> + Send + Sync + 'static,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let list = NodeRef::<html::Div>::new();
    let wrapper = NodeRef::<html::Div>::new();
    follow_anchor(open, button, list, Align::Right);
    Effect::new(move |_| {
        if open.get() {
            focus(list.get().and_then(|list| list.first_element_child()));
        }
    });
    let close_to_button = move || {
        open.set(false);
        focus(button.get().map(Into::into));
    };
    let on_key = move |event: ev::KeyboardEvent| {
        let current = event
            .target()
            .and_then(|target| target.dyn_into::<Element>().ok());
        let Some(current) = current else { return };
        let list_element = list.get();
        let wrap_to = |first: bool| {
            list_element.as_ref().and_then(|list| {
                if first {
                    list.first_element_child()
                } else {
                    list.last_element_child()
                }
            })
        };
        match event.key().as_str() {
            "ArrowDown" => focus(current.next_element_sibling().or_else(|| wrap_to(true))),
            "ArrowUp" => focus(
                current
                    .previous_element_sibling()
                    .or_else(|| wrap_to(false)),
            ),
            "Home" => focus(wrap_to(true)),
            "End" => focus(wrap_to(false)),
            "Escape" => close_to_button(),
            "Tab" => open.set(false),
            _ => return,
        }
        event.prevent_default();
    };
    // Focus moving to the ⋯ button is not leaving: its click toggles the menu itself.
    let on_focus_out = move |event: ev::FocusEvent| {
        if focus_left(&event, wrapper.get()) {
            open.set(false);
        }
    };
    view! {
        <div class="menu" node_ref=wrapper>
            <button
                type="button"
                class="button icon"
                node_ref=button
                aria-label=name
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|open| *open = !*open)
            >
                {label}
            </button>
            <Show when=move || open.get()>
                <div class="menu-list" role="menu" node_ref=list on:keydown=on_key on:focusout=on_focus_out>
                    {items()
                        .into_iter()
                        .map(|item| {
                            let action = item.action;
                            view! {
                                <button
                                    type="button"
                                    role="menuitem"
                                    tabindex="-1"
                                    class:danger=item.danger
                                    on:click=move |_| {
                                        // Focus is on ⋯ before the action runs, so a dialog the
                                        // action opens gives focus back to ⋯ when it closes.
                                        close_to_button();
                                        action.run(());
                                    }
                                >
                                    {item.label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            </Show>
        </div>
    }
    .into_any()
}
