//! The error every service returns, and its one conversion into what callers see.
//!
//! A service either refuses a request for a reason the caller should read ([`Error::Rejected`],
//! carrying the shared [`AppError`]) or fails for a reason of its own (database, fault), which
//! is logged here with a trace id and shown to the caller without internals.

use app::error::AppError;

/// Why a service call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refused: the message is meant for the caller.
    #[error(transparent)]
    Rejected(#[from] AppError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A fault that is not the caller's doing.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// What the caller is told. Faults are logged once, here, under the trace id they carry.
    pub fn into_app_error(self) -> AppError {
        match self {
            Error::Rejected(error) => error,
            Error::Database(error) if is_unavailable(&error) => {
                tracing::warn!(%error, "the database is unavailable");
                AppError::Unavailable
            }
            Error::Database(error) => internal(&error),
            Error::Internal(message) => internal(&message),
        }
    }
}

impl Error {
    /// Whether the database could not serve the call (as opposed to refusing it).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Database(error) if is_unavailable(error))
    }

    /// This failure, for each of several callers whose work shared one database transaction
    /// (a group commit): a database that is unavailable stays so for each of them; anything
    /// else is a fault, logged once per caller under its own trace id.
    pub fn for_each_caller(&self) -> Error {
        match self {
            Error::Rejected(error) => Error::Rejected(error.clone()),
            Error::Database(error) if is_unavailable(error) => {
                Error::Rejected(AppError::Unavailable)
            }
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        error.into_app_error()
    }
}

/// Whether the database could not serve the request (as opposed to refusing it): no connection,
/// a lost connection, a server shutting down (PostgreSQL SQLSTATE class 08, 57P01–57P03), or an
/// SQLite file still locked after the busy timeout.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
                // SQLITE_BUSY and its extended codes (e.g. 517, BUSY_SNAPSHOT).
                || code.parse::<i32>().is_ok_and(|code| code & 0xff == 5)
        }),
        _ => false,
    }
}

fn internal(error: &dyn std::fmt::Display) -> AppError {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    tracing::error!(%trace_id, %error, "request failed");
    AppError::Internal { trace_id }
}

/// Whether `error` is a unique-constraint violation (the same on SQLite and PostgreSQL).
pub fn is_unique_violation(error: &Error) -> bool {
    match error {
        Error::Database(sqlx::Error::Database(error)) => error.is_unique_violation(),
        _ => false,
    }
}
