//! In front of every console page and server function: refuses cross-site state changes,
//! finds the signed-in caller from the session cookie, and sends signed-out visitors of
//! console pages to the sign-in page (and back afterwards).

use app::{accounts::Caller, error::AppError, PUBLIC_PAGES};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use cookie::Cookie;

use crate::{accounts::SESSION_COOKIE, config::PublicUrl, AppState};

/// The session token the browser presented, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE && !cookie.value().is_empty())
        .map(|cookie| cookie.value().to_owned())
}

/// Whether a state-changing request comes from the console itself: `Sec-Fetch-Site` (when the
/// browser sends it) must say same-origin, and `Origin` must be the public URL. A request
/// with neither header is not from a browser page and is refused too.
fn from_console_origin(headers: &HeaderMap, public_url: &PublicUrl) -> bool {
    let header_text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let fetch_site = header_text("sec-fetch-site");
    let origin = header_text(header::ORIGIN.as_str());
    if fetch_site.is_some_and(|site| site != "same-origin") {
        return false;
    }
    match origin {
        Some(origin) => origin == public_url.origin(),
        None => fetch_site.is_some(),
    }
}

pub async fn session_layer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let public_url = &state.accounts.settings().public_url;
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes_state && !from_console_origin(request.headers(), public_url) {
        tracing::warn!(path = request.uri().path(), "cross-site request refused");
        return (
            StatusCode::FORBIDDEN,
            format!(
                "Cross-site request refused: console actions are accepted only from {public_url} \
                 (the public URL setting, HERALD_PUBLIC_URL)."
            ),
        )
            .into_response();
    }
    match attach_session(&state, &mut request).await {
        Err(response) => response,
        Ok(false) if !changes_state && !PUBLIC_PAGES.contains(&request.uri().path()) => {
            let here = request
                .uri()
                .path_and_query()
                .map_or("/", |path| path.as_str());
            let target = format!(
                "/sign-in?next={}",
                url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
            );
            Redirect::to(&target).into_response()
        }
        Ok(_) => next.run(request).await,
    }
}

/// For the fallback (the 404 page and static files): finds the signed-in user so the 404 page
/// keeps the navigation, but never redirects. Compiled assets need no session.
pub async fn session_for_fallback(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/pkg/") {
        if let Err(response) = attach_session(&state, &mut request).await {
            return response;
        }
    }
    next.run(request).await
}

/// Puts the session's [`Caller`] and user on the request; `Ok(false)` when signed out.
async fn attach_session(state: &AppState, request: &mut Request) -> Result<bool, Response> {
    let Some(token) = session_token(request.headers()) else {
        return Ok(false);
    };
    match state.accounts.resolve_session(&token).await {
        Ok(Some((caller, user))) => {
            request.extensions_mut().insert::<Caller>(caller);
            request.extensions_mut().insert(user);
            Ok(true)
        }
        Ok(None) => Ok(false),
        Err(error) => Err(unavailable(error.into_app_error())),
    }
}

fn unavailable(error: AppError) -> Response {
    let status = match error {
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, error.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_same_origin_requests_from_the_public_url_pass() {
        let public: PublicUrl = "http://127.0.0.1:3000".parse().expect("url");
        let ok = [
            headers(&[
                ("origin", "http://127.0.0.1:3000"),
                ("sec-fetch-site", "same-origin"),
            ]),
            headers(&[("origin", "http://127.0.0.1:3000")]),
            headers(&[("sec-fetch-site", "same-origin")]),
        ];
        for request in ok {
            assert!(from_console_origin(&request, &public), "{request:?}");
        }
        let refused = [
            headers(&[]),
            headers(&[("origin", "https://evil.example")]),
            headers(&[
                ("origin", "http://localhost:3000"),
                ("sec-fetch-site", "same-origin"),
            ]),
            headers(&[
                ("origin", "http://127.0.0.1:3000"),
                ("sec-fetch-site", "cross-site"),
            ]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("origin", "null")]),
        ];
        for request in refused {
            assert!(!from_console_origin(&request, &public), "{request:?}");
        }
    }

    #[test]
    fn the_session_token_is_read_from_any_cookie_header() {
        let request = headers(&[
            ("cookie", "theme=dark"),
            ("cookie", "a=1; herald_session=tok"),
        ]);
        assert_eq!(session_token(&request).as_deref(), Some("tok"));
        assert_eq!(
            session_token(&headers(&[("cookie", "herald_session=")])),
            None
        );
        assert_eq!(session_token(&headers(&[])), None);
    }
}
