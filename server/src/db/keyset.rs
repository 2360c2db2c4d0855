//! Keyset paging shared by the lists: a sort column's value at a cursor, and numbered
//! placeholders built up with the values they stand for.

use sqlx::{
    any::AnyArguments,
    query::{Query, QueryAs},
    Any,
};

/// A sort column's value at a cursor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// Numbered placeholders (`$1`, `$2` …) and the values they stand for.
#[derive(Default)]
pub struct Binds(Vec<SortValue>);

impl Binds {
    pub fn push(&mut self, value: SortValue) -> String {
        self.0.push(value);
        format!("${}", self.0.len())
    }

    pub fn text(&mut self, value: &str) -> String {
        self.push(SortValue::Text(value.to_owned()))
    }

    /// Placeholders for `values`, comma-separated (an `IN (…)` list).
    pub fn texts(&mut self, values: &[&str]) -> String {
        values
            .iter()
            .map(|value| self.text(value))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The placeholders' values bound to `query`, in order.
    pub fn bind_to<'q, O>(
        self,
        mut query: QueryAs<'q, Any, O, AnyArguments<'q>>,
    ) -> QueryAs<'q, Any, O, AnyArguments<'q>> {
        for value in self.0 {
            query = match value {
                SortValue::Int(number) => query.bind(number),
                SortValue::Text(text) => query.bind(text),
            };
        }
        query
    }

    /// The same for a statement that returns no rows.
    pub fn bind_to_statement<'q>(
        self,
        mut query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for value in self.0 {
            query = match value {
                SortValue::Int(number) => query.bind(number),
                SortValue::Text(text) => query.bind(text),
            };
        }
        query
    }
}

/// The ordering and the after-cursor condition of a keyset page over `column` then `id`:
/// `(ORDER BY …, condition)`. Scanning backwards reverses the list's order.
pub fn order_and_after(
    binds: &mut Binds,
    column: &str,
    descending: bool,
    backwards: bool,
    after: Option<&(SortValue, String)>,
) -> (String, Option<String>) {
    let ascending = descending == backwards;
    let (direction, comparison) = if ascending {
        ("ASC", ">")
    } else {
        ("DESC", "<")
    };
    let condition = after.map(|(value, id)| {
        let value = binds.push(value.clone());
        let id = binds.text(id);
        format!("({column}, id) {comparison} ({value}, {id})")
    });
    (format!("{column} {direction}, id {direction}"), condition)
}
