//! The `links` of a list response: absolute URLs on the public URL that repeat the request's
//! filters, sort and limit, with the neighbouring pages' cursors.

use axum::http::Uri;
use serde::Serialize;

use crate::AppState;

#[derive(Serialize)]
pub struct Href {
    href: String,
}

#[derive(Serialize)]
pub struct Links {
    #[serde(rename = "self")]
    this: Href,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<Href>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<Href>,
}

impl Links {
    /// The links of a page requested at `uri` with the query `pairs`.
    pub fn of_page(
        state: &AppState,
        uri: &Uri,
        pairs: &[(String, String)],
        next: Option<&str>,
        prev: Option<&str>,
    ) -> Self {
        let public_url = &state.accounts.settings().public_url;
        let href = |cursor: Option<(&str, &str)>| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in pairs {
                if cursor.is_none() || (name != "next" && name != "prev") {
                    query.append_pair(name, value);
                }
            }
            if let Some((name, value)) = cursor {
                query.append_pair(name, value);
            }
            let query = query.finish();
            let separator = if query.is_empty() { "" } else { "?" };
            Href {
                href: public_url.join(&format!("{}{separator}{query}", uri.path())),
            }
        };
        Links {
            this: href(None),
            next: next.map(|cursor| href(Some(("next", cursor)))),
            prev: prev.map(|cursor| href(Some(("prev", cursor)))),
        }
    }
}
