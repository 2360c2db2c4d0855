//! Menus and filter forms that open under their button. They are `position: fixed`, placed
//! from the button's place on screen, so a table's horizontal scroller cannot clip them; they
//! close when the page scrolls (they would float away from their button) or focus leaves them.

use leptos::{ev, html, prelude::*, wasm_bindgen::JsCast, web_sys};

/// Moves focus to `element`, when there is one that can take it.
pub fn focus(element: Option<web_sys::Element>) {
    if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        // Focus can fail only on a detached element, which has nothing to focus then.
        let _ = element.focus();
    }
}

/// Which edge of the button the popup lines up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Puts `popup` just under `anchor`.
#[cfg(feature = "hydrate")]
fn place_under(anchor: &web_sys::Element, popup: &web_sys::HtmlElement, align: Align) {
    let rect = anchor.get_bounding_client_rect();
    let style = popup.style();
    let (side, offset) = match align {
        Align::Left => ("left", rect.left()),
        Align::Right => {
            let viewport = leptos::prelude::document()
                .document_element()
                .map(|root| f64::from(root.client_width()))
                .unwrap_or(rect.right());
            ("right", viewport - rect.right())
        }
    };
    for (name, value) in [("top", rect.bottom() + 2.0), (side, offset.max(0.0))] {
        if let Err(error) = style.set_property(name, &format!("{value}px")) {
            leptos::logging::error!("cannot place a popup: {error:?}");
        }
    }
}

#[cfg(not(feature = "hydrate"))]
fn place_under(_anchor: &web_sys::Element, _popup: &web_sys::HtmlElement, _align: Align) {}

/// Keeps the popup `popup` under `anchor` while `open`, and closes it when the page scrolls.
pub fn follow_anchor(
    open: RwSignal<bool>,
    anchor: NodeRef<html::Button>,
    popup: NodeRef<html::Div>,
    align: Align,
) {
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        if let (Some(anchor), Some(popup)) = (anchor.get(), popup.get()) {
            place_under(&anchor, &popup, align);
        }
        let scrolling = window_event_listener(ev::scroll, move |_| open.set(false));
        on_cleanup(move || scrolling.remove());
    });
}

/// Whether focus moved to somewhere outside `inside` (or out of the page).
pub fn focus_left(event: &ev::FocusEvent, inside: Option<web_sys::HtmlDivElement>) -> bool {
    let target = event
        .related_target()
        .and_then(|target| target.dyn_into::<web_sys::Node>().ok());
    match (target, inside) {
        (Some(target), Some(inside)) => !inside.contains(Some(&target)),
        _ => true,
    }
}
