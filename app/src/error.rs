//! The errors a console action can end with, as the browser receives them.
//!
//! The server's own error type converts into this one in one place; the REST API maps the same
//! kinds to HTTP statuses. Messages are written for the person reading them.

use serde::{Deserialize, Serialize};

/// Why an action failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input breaks a rule; `field` names the input (a JSON pointer such as `/email`).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// No valid session or key.
    #[error("Your session has ended. Sign in again.")]
    Unauthorized,
    /// A visible thing the caller may not change, or a quota.
    #[error("{0}")]
    Forbidden(String),
    /// Absent, or not visible to the caller.
    #[error("Not found: it does not exist or you cannot see it.")]
    NotFound,
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The request body is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request body is not in a format the endpoint takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many attempts; try again after `retry_after_secs`.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    /// The database does not answer.
    #[error("The database is not answering. Try again in a moment.")]
    Unavailable,
    /// A fault on the server; details are in its log under `trace_id`.
    #[error("Something went wrong on the server (trace {trace_id}).")]
    Internal { trace_id: String },
    /// The browser could not talk to the server.
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl AppError {
    /// A validation failure of `field` (a JSON pointer).
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP status that reports this error (the REST API's and the server functions').
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 400,
            AppError::Unauthorized => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::PayloadTooLarge(_) => 413,
            AppError::UnsupportedMediaType(_) => 415,
            AppError::TooManyRequests { .. } => 429,
            AppError::Unavailable => 503,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }

    /// The message for `field` when this error is about it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid {
                field: failed,
                message,
            } if failed == field => Some(message.clone()),
            _ => None,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    /// On the server, a request whose arguments cannot be decoded (an unknown field, a wrong
    /// type) is the caller's mistake, answered like any invalid input. Anything else — and in
    /// the browser, a response that cannot be decoded — is a transport failure.
    fn from_server_fn_error(error: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr;
        match error {
            ServerFnErrorErr::Args(message) => unreadable_request(&message),
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(message) => unreadable_request(&message),
            other => AppError::Transport(other.to_string()),
        }
    }
}

fn unreadable_request(message: &str) -> AppError {
    AppError::Invalid {
        field: String::new(),
        message: format!("The request could not be read: {message}"),
    }
}
