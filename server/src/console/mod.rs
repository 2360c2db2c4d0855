//! The console's side of the server: the session check in front of every page and server
//! function, the status of server-function errors, pages rendered to their end, and the
//! backend the server functions call.

mod backend;
mod complete_render;
mod error_status;
mod session_layer;

pub use backend::ServerBackend;
pub use complete_render::render_to_completion;
pub use error_status::server_fn_error_status;
pub use session_layer::{session_for_fallback, session_layer, session_token};
