//! The purge: ended deliveries older than the retention period go, with their attempts, and an
//! event goes with its last delivery (events that matched nothing are kept as long, so a
//! repeat within the period is still recognised). A pending delivery stays until it ends
//! (start-up refuses a retention shorter than the retry schedule). On PostgreSQL one node at a
//! time runs it.

use super::DeliveryEngine;
use crate::{
    db::{deliveries, events},
    error::Result,
};

/// Deliveries removed per transaction, so a large purge never holds locks for long.
const PURGE_BATCH: i64 = 1000;

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub deliveries: u64,
    pub events: u64,
}

impl DeliveryEngine {
    /// Removes what is older than the retention period.
    pub async fn purge_expired(&self) -> Result<Purged> {
        let retention =
            i64::try_from(self.inner.settings.retention.as_millis()).unwrap_or(i64::MAX);
        let before = self.now_millis().saturating_sub(retention);
        let mut purged = Purged::default();
        loop {
            let mut tx = self.db().begin().await?;
            if !self.db().try_job_lock(&mut tx, "purge").await? {
                return Ok(purged);
            }
            let removed = deliveries::purge(&mut tx, before, PURGE_BATCH).await?;
            if removed < PURGE_BATCH as u64 {
                purged.events = events::purge_unreferenced(&mut tx, before).await?;
            }
            tx.commit().await?;
            purged.deliveries += removed;
            if removed < PURGE_BATCH as u64 {
                break;
            }
        }
        if purged != Purged::default() {
            tracing::info!(
                deliveries = purged.deliveries,
                events = purged.events,
                "purged old deliveries"
            );
        }
        Ok(purged)
    }
}
