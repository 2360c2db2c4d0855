//! The console's server functions: thin shims that find the caller and the backend in the
//! request context and call a service, which decides every rule about accounts and webhooks.
//! The one check made here belongs to the forms themselves: a typed password must match its
//! confirmation field (operator commands and the REST API have no such field).

pub mod accounts;
pub mod deliveries;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub use context::signed_in_user;

#[cfg(feature = "ssr")]
mod context {
    use http::{header::SET_COOKIE, request::Parts, HeaderValue};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::{
        accounts::{Caller, SignedInUser},
        backend::{Backend, ConsoleBackend, SetCookie},
        error::AppError,
    };

    /// A wiring fault: the server did not provide what every request should carry.
    fn missing(what: &str) -> AppError {
        AppError::Internal {
            trace_id: format!("missing-{what}"),
        }
    }

    pub fn backend() -> Result<std::sync::Arc<dyn ConsoleBackend>, AppError> {
        use_context::<Backend>()
            .map(|backend| backend.0)
            .ok_or_else(|| missing("backend"))
    }

    pub fn request() -> Result<Parts, AppError> {
        use_context::<Parts>().ok_or_else(|| missing("request"))
    }

    /// The signed-in caller, or `Unauthorized`.
    pub fn caller() -> Result<Caller, AppError> {
        request()?
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(AppError::Unauthorized)
    }

    /// The signed-in user, when there is one (the session layer put it on the request).
    pub fn signed_in_user() -> Option<SignedInUser> {
        use_context::<Parts>()?
            .extensions
            .get::<SignedInUser>()
            .cloned()
    }

    pub fn set_cookie(cookie: SetCookie) -> Result<(), AppError> {
        let value = HeaderValue::from_str(&cookie.0).map_err(|_| missing("cookie"))?;
        use_context::<ResponseOptions>()
            .ok_or_else(|| missing("response"))?
            .append_header(SET_COOKIE, value);
        Ok(())
    }
}

/// Where to go after signing in: `next` when it is a path on this site, else the webhooks page.
///
/// Browsers treat `\` like `/` and drop tabs and line breaks from URLs, so `/\evil.example`
/// or `/<tab>/evil.example` would become `//evil.example` — another host. Any such character,
/// and anything that cannot go into a `Location` header, sends the user home instead.
pub fn safe_return_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace() || !c.is_ascii()) =>
        {
            path.to_owned()
        }
        _ => "/webhooks".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_return_path(Some("/admin/users?x=1")),
            "/admin/users?x=1"
        );
        for unsafe_path in [
            None,
            Some(""),
            Some("https://evil.example"),
            Some("//evil.example"),
            Some("/\\evil.example"),
            Some("/\t/evil.example"),
            Some("/\n/evil.example"),
            Some("/\r\n/evil.example"),
            Some("/ /evil.example"),
            Some("/\u{0}"),
            Some("/caf\u{e9}"),
        ] {
            assert_eq!(
                safe_return_path(unsafe_path),
                "/webhooks",
                "{unsafe_path:?}"
            );
        }
    }
}
