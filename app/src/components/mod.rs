//! Pieces of the console shared by several pages.

pub mod page_frame;
