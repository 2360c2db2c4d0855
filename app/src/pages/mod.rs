//! One module per screen.

pub mod api_keys;
pub mod event_types;
pub mod link_pages;
pub mod not_found;
pub mod sign_in;
pub mod users;
pub mod webhooks;
