//! The webhooks list's query: sort, filters and page, as the console keeps them in its URL and
//! the REST API reads them (`sort=-createdAt&name=ord&enabled=false&next=…`). The console
//! passes the same string to the server, so a reloaded or shared URL shows the same page.

use url::form_urlencoded;

/// The columns a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    Name,
    Url,
    CreatedAt,
    UpdatedAt,
}

impl SortField {
    pub const ALL: [SortField; 4] = [
        SortField::Name,
        SortField::Url,
        SortField::CreatedAt,
        SortField::UpdatedAt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::Url => "url",
            SortField::CreatedAt => "createdAt",
            SortField::UpdatedAt => "updatedAt",
        }
    }
}

/// A column and a direction; newest first (`-createdAt`) unless chosen otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

impl Sort {
    /// `name`, `+url`, `-createdAt` … A leading space counts as `+`: an unencoded `+` in a
    /// query string arrives as one.
    pub fn parse(text: &str) -> Option<Self> {
        let (descending, name) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+' | b' ') => (false, &text[1..]),
            _ => (false, text),
        };
        let field = SortField::ALL
            .into_iter()
            .find(|field| field.as_str() == name)?;
        Some(Self { field, descending })
    }

    pub fn as_text(self) -> String {
        let sign = if self.descending { "-" } else { "+" };
        format!("{sign}{}", self.field.as_str())
    }
}

/// Which page of the list: the first, or the one after or before an opaque cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Page {
    #[default]
    First,
    After(String),
    Before(String),
}

impl Page {
    /// Adds the cursor, as the list APIs take it (`next` or `prev`), to a query string.
    pub fn append_to(&self, query: &mut form_urlencoded::Serializer<'_, String>) {
        match self {
            Page::First => {}
            Page::After(cursor) => {
                query.append_pair("next", cursor);
            }
            Page::Before(cursor) => {
                query.append_pair("prev", cursor);
            }
        }
    }
}

/// Everything that chooses the rows of the webhooks table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// `None` keeps the default order and the URL short.
    pub sort: Option<Sort>,
    /// Part of the name, any case.
    pub name: Option<String>,
    /// Part of the URL, any case.
    pub url: Option<String>,
    /// Webhooks subscribed to any of these types.
    pub event_types: Vec<String>,
    pub enabled: Option<bool>,
    pub owner_id: Option<String>,
    pub page: Page,
}

impl ListQuery {
    /// Reads the console's URL query. Unknown or malformed parameters are ignored: the URL is
    /// the person's, and a stale bookmark should still open the list.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = Self::default();
        for (name, value) in pairs {
            let text = || Some(value.to_owned()).filter(|value| !value.trim().is_empty());
            match name {
                "sort" => query.sort = Sort::parse(value),
                "name" => query.name = text(),
                "url" => query.url = text(),
                "eventTypes" => {
                    query.event_types = value
                        .split(',')
                        .map(str::trim)
                        .filter(|name| !name.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                "enabled" => query.enabled = value.parse().ok(),
                "ownerId" => query.owner_id = text(),
                "next" => query.page = Page::After(value.to_owned()),
                "prev" => query.page = Page::Before(value.to_owned()),
                _ => {}
            }
        }
        query
    }

    /// The query string (without `?`), parameters in a fixed order.
    pub fn to_query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if let Some(sort) = self.sort {
            out.append_pair("sort", &sort.as_text());
        }
        if let Some(name) = &self.name {
            out.append_pair("name", name);
        }
        if let Some(url) = &self.url {
            out.append_pair("url", url);
        }
        if !self.event_types.is_empty() {
            out.append_pair("eventTypes", &self.event_types.join(","));
        }
        if let Some(enabled) = self.enabled {
            out.append_pair("enabled", if enabled { "true" } else { "false" });
        }
        if let Some(owner) = &self.owner_id {
            out.append_pair("ownerId", owner);
        }
        self.page.append_to(&mut out);
        out.finish()
    }

    /// The order in effect.
    pub fn effective_sort(&self) -> Sort {
        self.sort.unwrap_or_default()
    }

    /// Clicking a column header: the same column flips its direction, another column starts
    /// ascending. Back to the first page, since the old cursors belong to the old order.
    pub fn sorted_by(&self, field: SortField) -> Self {
        let current = self.effective_sort();
        let descending = current.field == field && !current.descending;
        Self {
            sort: Some(Sort { field, descending }),
            page: Page::First,
            ..self.clone()
        }
    }

    /// This query with `change` applied to its filters, from the first page.
    pub fn filtered(&self, change: impl FnOnce(&mut Self)) -> Self {
        let mut query = self.clone();
        change(&mut query);
        query.page = Page::First;
        query
    }

    /// This query on another page.
    pub fn on_page(&self, page: Page) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    pub fn has_filters(&self) -> bool {
        self.name.is_some()
            || self.url.is_some()
            || !self.event_types.is_empty()
            || self.enabled.is_some()
            || self.owner_id.is_some()
    }

    /// The same order, no filters, first page.
    pub fn without_filters(&self) -> Self {
        Self {
            sort: self.sort,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ListQuery {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect();
        ListQuery::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    #[test]
    fn a_query_survives_the_url() {
        let query = ListQuery {
            sort: Some(Sort {
                field: SortField::Name,
                descending: false,
            }),
            name: Some("Orders & Co".into()),
            url: Some("hooks".into()),
            event_types: vec![
                "com.qlik.v1.app.created".into(),
                "com.qlik.v1.user.deleted".into(),
            ],
            enabled: Some(false),
            owner_id: Some("u-1".into()),
            page: Page::After("abc=".into()),
        };
        let text = query.to_query_string();
        assert!(
            text.starts_with("sort=%2Bname&name=Orders+%26+Co&"),
            "{text}"
        );
        assert_eq!(parse(&text), query);
        assert_eq!(ListQuery::default().to_query_string(), "");
    }

    #[test]
    fn sorting_toggles_and_returns_to_the_first_page() {
        let query = ListQuery {
            page: Page::After("cursor".into()),
            ..ListQuery::default()
        };
        let by_name = query.sorted_by(SortField::Name);
        assert_eq!(by_name.sort.map(Sort::as_text).as_deref(), Some("+name"));
        assert_eq!(by_name.page, Page::First);
        let back = by_name.sorted_by(SortField::Name);
        assert_eq!(back.sort.map(Sort::as_text).as_deref(), Some("-name"));
        assert_eq!(
            back.sorted_by(SortField::Name)
                .sort
                .map(Sort::as_text)
                .as_deref(),
            Some("+name")
        );
        // The default order is newest first, so clicking Created shows the oldest first.
        let created = ListQuery::default().sorted_by(SortField::CreatedAt);
        assert_eq!(
            created.sort.map(Sort::as_text).as_deref(),
            Some("+createdAt")
        );
    }

    #[test]
    fn a_stale_or_edited_url_still_opens_the_list() {
        let query = parse("sort=colour&enabled=maybe&name=%20&limit=7&next=c1");
        assert_eq!(
            query,
            ListQuery {
                page: Page::After("c1".into()),
                ..ListQuery::default()
            }
        );
        assert_eq!(
            parse("sort=+url").sort.map(Sort::as_text).as_deref(),
            Some("+url")
        );
    }

    #[test]
    fn filtering_starts_again_from_the_first_page() {
        let query = ListQuery {
            sort: Some(Sort::default()),
            page: Page::Before("c".into()),
            ..ListQuery::default()
        };
        let filtered = query.filtered(|q| q.enabled = Some(true));
        assert_eq!(filtered.page, Page::First);
        assert!(filtered.has_filters());
        assert_eq!(
            filtered.without_filters(),
            ListQuery {
                sort: Some(Sort::default()),
                ..ListQuery::default()
            }
        );
    }
}
