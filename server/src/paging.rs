//! Opaque cursors for the lists (webhooks, deliveries): a cursor names the sort it belongs to
//! and the row it points at, and pages go forwards after it or backwards before it.

use app::error::AppError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

use crate::{db::keyset::SortValue, error::Result};

/// Where a page starts: after the `next` cursor, or before the `prev` cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageStart {
    First,
    After(String),
    Before(String),
}

/// What a cursor holds: the sort it belongs to and the row it points at.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    s: String,
    v: SortValue,
    id: String,
}

/// The cursor of the row with `id` and sort value `value` in the order `sort` (e.g. `-name`).
pub fn encode(sort: &str, value: SortValue, id: &str) -> String {
    let cursor = Cursor {
        s: sort.to_owned(),
        v: value,
        id: id.to_owned(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

/// Where a page's scan starts, for the order `sort`: `(after, backwards)`. `fits` says whether
/// a cursor's value has the sort column's type (a forged cursor might not).
pub fn scan_from(
    start: &PageStart,
    sort: &str,
    fits: impl Fn(&SortValue) -> bool,
) -> Result<(Option<(SortValue, String)>, bool)> {
    let (parameter, text, backwards) = match start {
        PageStart::First => return Ok((None, false)),
        PageStart::After(text) => ("next", text, false),
        PageStart::Before(text) => ("prev", text, true),
    };
    let invalid = |message: &str| AppError::invalid(format!("/{parameter}"), message);
    let cursor: Cursor = URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|cursor: &Cursor| fits(&cursor.v))
        .ok_or_else(|| invalid("This cursor is not one Herald gave out."))?;
    if cursor.s != sort {
        return Err(
            invalid("This cursor belongs to another sort order: start again without it.").into(),
        );
    }
    Ok((Some((cursor.v, cursor.id)), backwards))
}

/// The `next` and `prev` cursors of a page, given its rows in list order and whether the scan
/// found rows beyond them (`more`). The side a page started from has rows whenever it started
/// at a cursor.
pub fn neighbours<R>(
    start: &PageStart,
    rows: &[R],
    more: bool,
    cursor_at: impl Fn(&R) -> String,
) -> (Option<String>, Option<String>) {
    let first = rows.first().map(&cursor_at);
    let last = rows.last().map(&cursor_at);
    match start {
        PageStart::First => (last.filter(|_| more), None),
        PageStart::After(_) => (last.filter(|_| more), first),
        PageStart::Before(_) => (last, first.filter(|_| more)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_tied_to_their_sort_and_type() {
        let text = encode("-createdAt", SortValue::Int(5), "a");
        let is_int = |value: &SortValue| matches!(value, SortValue::Int(_));
        assert_eq!(
            scan_from(&PageStart::After(text.clone()), "-createdAt", is_int).expect("valid"),
            (Some((SortValue::Int(5), "a".to_owned())), false)
        );
        assert!(scan_from(&PageStart::Before(text.clone()), "+name", is_int).is_err());
        assert!(scan_from(&PageStart::Before("garbage!".into()), "-createdAt", is_int).is_err());
        let forged = encode("-createdAt", SortValue::Text("2026".into()), "a");
        assert!(
            scan_from(&PageStart::After(forged), "-createdAt", is_int).is_err(),
            "text for a time column"
        );
    }

    #[test]
    fn neighbours_point_past_the_page_edges() {
        let rows = ["a", "b"];
        let at = |row: &&str| row.to_string();
        assert_eq!(
            neighbours(&PageStart::First, &rows, true, at),
            (Some("b".into()), None)
        );
        assert_eq!(
            neighbours(&PageStart::First, &rows, false, at),
            (None, None)
        );
        assert_eq!(
            neighbours(&PageStart::After("x".into()), &rows, false, at),
            (None, Some("a".into()))
        );
        assert_eq!(
            neighbours(&PageStart::Before("x".into()), &rows, false, at),
            (Some("b".into()), None)
        );
    }
}
