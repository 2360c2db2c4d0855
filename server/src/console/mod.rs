//! The console's side of the server: the session check in front of every page and server
//! function, and the backend the server functions call.

mod backend;
mod session_layer;

pub use backend::ServerBackend;
pub use session_layer::{session_for_fallback, session_layer, session_token};
