//! Times as people read them: UTC when the server renders the page (it does not know the
//! reader's time zone), the browser's local time once hydrated, and UTC on hover. The switch
//! happens in an effect, after hydration, so the server's HTML and the first browser render
//! agree.

use leptos::prelude::*;

/// `2026-11-23T10:00:00Z` as `2026-11-23 10:00:00 UTC`.
pub fn utc_label(rfc3339: &str) -> String {
    match rfc3339.split_once('T') {
        Some((date, rest)) => {
            let time = rest.trim_end_matches('Z');
            let seconds = time.split('.').next().unwrap_or(time);
            format!("{date} {seconds} UTC")
        }
        None => rfc3339.to_owned(),
    }
}

/// The reader's local rendering of an RFC 3339 time, where JavaScript can read it.
#[cfg(feature = "hydrate")]
fn local_label(rfc3339: &str) -> Option<String> {
    let date = js_sys::Date::new(&rfc3339.into());
    if date.get_time().is_nan() {
        return None;
    }
    Some(date.to_locale_string("default", &Default::default()).into())
}

#[cfg(not(feature = "hydrate"))]
fn local_label(_rfc3339: &str) -> Option<String> {
    None
}

/// A `<time>` element for an RFC 3339 UTC time.
#[component]
pub fn Timestamp(#[prop(into)] utc: String) -> impl IntoView {
    let label = utc_label(&utc);
    let shown = RwSignal::new(label.clone());
    let source = utc.clone();
    Effect::new(move |_| {
        if let Some(local) = local_label(&source) {
            shown.set(local);
        }
    });
    view! { <time datetime=utc title=label>{move || shown.get()}</time> }
}

#[cfg(test)]
mod tests {
    use super::utc_label;

    #[test]
    fn utc_labels_drop_fractions_and_say_utc() {
        assert_eq!(utc_label("2026-11-23T10:00:05Z"), "2026-11-23 10:00:05 UTC");
        assert_eq!(
            utc_label("2026-11-23T10:00:05.123456Z"),
            "2026-11-23 10:00:05 UTC"
        );
        assert_eq!(utc_label("yesterday"), "yesterday");
    }
}
