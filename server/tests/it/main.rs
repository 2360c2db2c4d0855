//! Integration tests: the real router on real SQLite and PostgreSQL databases, and the real
//! `herald` binary. One test binary, one module per area.

#[path = "../common/process.rs"]
mod process;
mod support;

mod api_keys;
mod binary;
mod console;
mod console_webhooks;
mod database;
mod deliveries;
mod delivery_support;
mod events;
mod fairness;
mod health;
mod isolation;
mod metrics;
mod patch_property;
mod processes;
mod secrets_in_logs;
mod sign_in;
mod signature_examples;
mod users;
mod webhook_changes;
mod webhooks;
mod webhooks_access;
