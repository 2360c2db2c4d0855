//! Components shared by several pages.

pub mod confirm;
pub mod form;
pub mod menu;
pub mod modal;
pub mod page_frame;
pub mod popup;
pub mod require_admin;
pub mod ticker;
pub mod timestamp;
