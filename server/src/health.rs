//! Probes for process supervisors and load balancers.
//!
//! `/healthz` says the process is alive; `/readyz` says it can serve requests, which needs a
//! database that answers.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, Json};
use serde_json::{json, Value};

use crate::db::Database;

/// How long `/readyz` waits for the database before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`: 200 while the process runs.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when the database answers within two seconds, 503 otherwise.
pub async fn readyz(State(db): State<Database>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(READY_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check: the database did not answer");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("readiness check: the database timed out");
            unavailable()
        }
    }
}

fn unavailable() -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "detail": "the database is not answering" })),
    )
}
