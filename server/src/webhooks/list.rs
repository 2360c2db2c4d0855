//! Listing webhooks (SPEC §4.1): filters, a sort with the id as tie-break, and opaque cursors
//! that page forwards and backwards through the same order.

use app::{
    accounts::{Caller, Role},
    error::AppError,
    event_types::Level,
    webhooks::{
        list_query::{Sort, SortField},
        Origin, WebhookPage,
    },
};

use super::{access, stored, Webhooks};
use crate::{
    db::{
        webhooks::{self, ListQuery, SortColumn, SortValue},
        TenantId,
    },
    error::Result,
    paging::{self, PageStart},
};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// The database column of a sort field (the field names and their parsing are the console's
/// and the API's alike: `app::webhooks::list_query`).
fn column(sort: Sort) -> SortColumn {
    match sort.field {
        SortField::Name => SortColumn::Name,
        SortField::Url => SortColumn::Url,
        SortField::CreatedAt => SortColumn::CreatedAt,
        SortField::UpdatedAt => SortColumn::UpdatedAt,
    }
}

/// The filters of a list (all optional; all given ones must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub name: Option<String>,
    pub url: Option<String>,
    pub enabled: Option<bool>,
    pub event_types: Vec<String>,
    pub level: Option<Level>,
    pub origins: Vec<Origin>,
    pub owner_id: Option<String>,
    pub created_by_user_id: Option<String>,
    pub updated_by_user_id: Option<String>,
}

/// One list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub limit: u32,
    pub sort: Sort,
    pub start: PageStart,
    pub filters: Filters,
}

impl Default for ListRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            sort: Sort::default(),
            start: PageStart::First,
            filters: Filters::default(),
        }
    }
}

/// The decoded `name=value` pairs of a URL query string, in order.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

impl ListRequest {
    /// Reads a list request from query parameters (the REST API's and the console's URL); an
    /// unknown or malformed parameter names itself.
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let invalid = |name: &str, message: String| {
            crate::error::Error::from(AppError::invalid(format!("/{name}"), message))
        };
        let mut request = Self::default();
        let mut filters = Filters::default();
        for (name, value) in pairs {
            let list = || {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            match name.as_str() {
                "limit" => {
                    let message = format!(
                        "limit is a number from 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."
                    );
                    request.limit = value
                        .parse()
                        .ok()
                        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                        .ok_or_else(|| invalid(name, message))?;
                }
                "sort" => {
                    request.sort = Sort::parse(value).ok_or_else(|| {
                        invalid(
                            name,
                            "sort is name, url, createdAt or updatedAt, with an optional + or -."
                                .into(),
                        )
                    })?;
                }
                "next" => request.start = PageStart::After(value.clone()),
                "prev" => request.start = PageStart::Before(value.clone()),
                "name" => filters.name = Some(value.clone()),
                "url" => filters.url = Some(value.clone()),
                "enabled" => {
                    filters.enabled = Some(match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(invalid(name, "enabled is true or false.".into())),
                    })
                }
                "eventTypes" => filters.event_types = list().collect(),
                "level" => {
                    filters.level = Some(
                        Level::parse(value)
                            .ok_or_else(|| invalid(name, "level is tenant or user.".into()))?,
                    )
                }
                "origins" => {
                    filters.origins = list()
                        .map(|origin| {
                            Origin::parse(&origin).ok_or_else(|| {
                                let known = "api, automations, management-console";
                                invalid(name, format!("{origin} is not an origin ({known})."))
                            })
                        })
                        .collect::<Result<_, _>>()?
                }
                "ownerId" => filters.owner_id = Some(value.clone()),
                "createdByUserId" => filters.created_by_user_id = Some(value.clone()),
                "updatedByUserId" => filters.updated_by_user_id = Some(value.clone()),
                _ => {
                    return Err(invalid(
                        name,
                        format!("{name} is not a parameter of this list."),
                    ))
                }
            }
        }
        request.filters = filters;
        Ok(request)
    }
}

fn cursor_of(sort: Sort, row: &webhooks::WebhookRow) -> String {
    paging::encode(&sort.as_text(), column(sort).value_of(row), &row.id)
}

/// Whether a cursor's value has the type of the sort column.
fn fits(sort: Sort) -> impl Fn(&SortValue) -> bool {
    move |value| {
        matches!(
            (column(sort), value),
            (SortColumn::Name | SortColumn::Url, SortValue::Text(_))
                | (
                    SortColumn::CreatedAt | SortColumn::UpdatedAt,
                    SortValue::Int(_)
                )
        )
    }
}

impl Webhooks {
    /// One page of the webhooks the caller can see.
    pub async fn list(&self, caller: &Caller, request: &ListRequest) -> Result<WebhookPage> {
        access::require_webhooks_scope(caller)?;
        let sort = request.sort;
        let filters = &request.filters;
        let (after, backwards) = paging::scan_from(&request.start, &sort.as_text(), fits(sort))?;
        let limit = request.limit.clamp(1, MAX_LIMIT);
        // A "Use webhooks" caller sees only their own user-level webhooks.
        let (owner_id, level) = if caller.role() == Role::UseWebhooks {
            if filters
                .owner_id
                .as_deref()
                .is_some_and(|owner| owner != caller.user_id())
                || filters.level == Some(Level::Tenant)
            {
                return Ok(WebhookPage::default());
            }
            (Some(caller.user_id().to_owned()), Some(Level::User))
        } else {
            (filters.owner_id.clone(), filters.level)
        };
        let query = ListQuery {
            sort: Some(column(sort)),
            descending: sort.descending,
            after,
            backwards,
            limit: i64::from(limit) + 1,
            name_contains: filters.name.as_deref().map(webhooks::search_key),
            url_contains: filters.url.as_deref().map(webhooks::search_key),
            enabled: filters.enabled,
            event_types: filters.event_types.clone(),
            level: level.map(|level| level.as_str().to_owned()),
            origins: filters
                .origins
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
            owner_id,
            created_by_user_id: filters.created_by_user_id.clone(),
            updated_by_user_id: filters.updated_by_user_id.clone(),
        };
        let tenant = TenantId::of(caller);
        let mut conn = self.db().connection().await?;
        let mut rows = webhooks::list(&mut conn, &tenant, &query).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        let mut types = webhooks::event_types_of(&mut conn, &tenant, &ids).await?;
        let (next, prev) =
            paging::neighbours(&request.start, &rows, more, |row| cursor_of(sort, row));
        let data = rows
            .iter()
            .map(|row| stored::to_webhook(row, types.remove(&row.id).unwrap_or_default()))
            .collect::<Result<_>>()?;
        Ok(WebhookPage { data, next, prev })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sort_field_has_a_column_of_its_type() {
        for field in SortField::ALL {
            let sort = Sort {
                field,
                descending: false,
            };
            let text_column = matches!(column(sort), SortColumn::Name | SortColumn::Url);
            assert_eq!(fits(sort)(&SortValue::Text(String::new())), text_column);
            assert_eq!(fits(sort)(&SortValue::Int(0)), !text_column);
        }
    }
}
