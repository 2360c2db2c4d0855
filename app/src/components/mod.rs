//! Components shared by several pages.

pub mod form;
pub mod page_frame;
pub mod require_admin;
