//! The rules every input must satisfy, in one place for the server (which enforces them) and
//! the browser (which shows the same messages before a form is sent).
//!
//! Each check returns the cleaned value or an [`AppError::Invalid`] naming the field.

pub mod accounts;
pub mod event_type;
pub mod webhook;

use crate::error::AppError;

/// The result of checking one field.
pub type Checked<T> = Result<T, AppError>;

/// Whether `value` holds a control character (line breaks, NUL, escape…).
fn has_control(value: &str) -> bool {
    value.chars().any(char::is_control)
}

/// JSON Pointer (RFC 6901) segments, for naming a field inside a map such as `/headers/X-Team`.
pub mod pointer {
    /// One segment with `~` and `/` escaped.
    pub fn escape(segment: &str) -> String {
        segment.replace('~', "~0").replace('/', "~1")
    }

    /// One segment read back.
    pub fn unescape(segment: &str) -> String {
        segment.replace("~1", "/").replace("~0", "~")
    }
}
