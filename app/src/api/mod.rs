//! The console's server functions: thin shims that find the caller and the backend in the
//! request context and call a service. No rule is decided here.

pub mod accounts;

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

/// Where to go after signing in: only a path on this site (never another host).
pub fn safe_return_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
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
        ] {
            assert_eq!(
                safe_return_path(unsafe_path),
                "/webhooks",
                "{unsafe_path:?}"
            );
        }
    }
}
