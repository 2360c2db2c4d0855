//! The delivery engine (SPEC §5): the request body, its signatures, and which addresses a
//! delivery may reach. Ingestion, the schedule, the workers and the HTTP client join these
//! modules as they land.

pub mod address_policy;
pub mod payload;
pub mod signature;
