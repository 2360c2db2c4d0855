//! One module per screen of the console.

pub mod not_found;
pub mod webhooks;
