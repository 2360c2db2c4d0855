//! Which tenants' webhooks were written, as generations: every committed write to a tenant's
//! webhooks (an edit, enabling or disabling, a deletion, its owner deactivated) moves the
//! tenant to a new generation — on this node at once, on the others through PostgreSQL's
//! NOTIFY. The delivery workers hold attempts in memory with the webhook they were loaded
//! with; one loaded before its tenant's last change reads its webhook again before it is sent,
//! so it goes with the new configuration, or not at all.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use sqlx::AnyConnection;

use super::Backend;
use crate::error::Result;

/// The channel PostgreSQL nodes announce webhook writes on; the payload is the tenant id.
pub const CHANNEL: &str = "herald_webhooks";

/// The generations, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// The last generation handed out.
    next: u64,
    /// Each tenant's last change.
    tenants: HashMap<String, u64>,
    /// The last time changes may have been missed (announcements from other nodes lost while
    /// their listener reconnected): everything counts as changed then.
    everywhere: u64,
}

impl WebhookChanges {
    /// The generation now: what is read from the database after this sees every change up to
    /// it.
    pub fn current(&self) -> u64 {
        self.lock().next
    }

    /// A write to `tenant`'s webhooks was committed (here or on another node).
    pub fn changed(&self, tenant: &str) {
        let mut state = self.lock();
        state.next += 1;
        let generation = state.next;
        state.tenants.insert(tenant.to_owned(), generation);
    }

    /// Changes may have been missed: every tenant counts as changed now.
    pub fn changed_everywhere(&self) {
        let mut state = self.lock();
        state.next += 1;
        state.everywhere = state.next;
    }

    /// Whether `tenant`'s webhooks changed after `generation`.
    pub fn changed_since(&self, tenant: &str, generation: u64) -> bool {
        let state = self.lock();
        state.everywhere > generation
            || state
                .tenants
                .get(tenant)
                .is_some_and(|changed| *changed > generation)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// On PostgreSQL, tells every node, when `conn`'s transaction commits, that `tenant`'s
/// webhooks changed; the writer also calls [`WebhookChanges::changed`] after its commit.
pub async fn announce(conn: &mut AnyConnection, backend: Backend, tenant: &str) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(tenant)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_seen_by_what_was_loaded_before_it_only() {
        let changes = WebhookChanges::default();
        let before = changes.current();
        assert!(!changes.changed_since("t", before));
        changes.changed("t");
        assert!(changes.changed_since("t", before));
        assert!(!changes.changed_since("other", before));
        let after = changes.current();
        assert!(!changes.changed_since("t", after));
        changes.clone().changed("t");
        assert!(
            changes.changed_since("t", after),
            "clones share the generations"
        );
        let later = changes.current();
        changes.changed_everywhere();
        assert!(changes.changed_since("other", later));
        assert!(!changes.changed_since("other", changes.current()));
    }
}
