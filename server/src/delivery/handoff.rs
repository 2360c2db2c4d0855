//! New deliveries go straight to this node's workers: the group commit leases them to this
//! node in the same transaction that creates them, and once it is committed they are queued in
//! memory with their event's bodies and their webhook as the ingestion read them, so no claim
//! has to find them in the database. Only as many as the workers have room for (a webhook's
//! share, the process's bound); the others wait in the database for the claiming loop.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Instant,
};

use super::{
    attempt::Job,
    group_commit::{RequestWrite, Written},
    worker::{lock, Run},
    DeliveryEngine,
};
use crate::metrics::QueuedFrom;

/// The deliveries of a group leased to this node, to be queued once the group is committed.
pub(super) struct Handoff {
    run: Arc<Run>,
    token: Arc<str>,
    leased_at: Instant,
}

impl DeliveryEngine {
    /// Leases to this node the new deliveries of `writes` its running workers have room for;
    /// `None` when no workers run here.
    pub(super) fn lease_new_deliveries(&self, writes: &mut [&mut RequestWrite]) -> Option<Handoff> {
        let run = self.running()?;
        let settings = &self.inner.settings;
        let token: Arc<str> = uuid::Uuid::new_v4().to_string().into();
        let leased_at = Instant::now();
        let lease_until = self.now_millis().saturating_add(self.lease_millis());
        let dispatch = lock(&run.dispatch);
        let mut room = settings
            .delivery_queue
            .saturating_sub(dispatch.queue.held());
        let mut taken = HashMap::new();
        let rows = writes
            .iter_mut()
            .flat_map(|write| write.events.iter_mut())
            .flat_map(|event| event.deliveries.iter_mut());
        for row in rows {
            if room == 0 {
                break;
            }
            if !dispatch.queue.take_room(&row.webhook_id, &mut taken) {
                continue;
            }
            room -= 1;
            row.lease_token = Some(token.to_string());
            row.next_attempt_at = Some(lease_until);
        }
        drop(dispatch);
        Some(Handoff {
            run,
            token,
            leased_at,
        })
    }

    /// Queues for this node's workers the deliveries of `writes` that were leased to it and
    /// stored; whether some stored deliveries were left in the database for the claiming loop.
    pub(super) fn hand_off(
        &self,
        handoff: Option<Handoff>,
        writes: &[&RequestWrite],
        written: &[Written],
    ) -> bool {
        let mut left_in_database = false;
        let mut jobs = Vec::new();
        for (write, written) in writes.iter().zip(written) {
            let Ok((_, stored)) = written else {
                continue;
            };
            let stored: HashSet<&str> = stored.iter().map(String::as_str).collect();
            for event in &write.events {
                for (row, webhook) in event.deliveries.iter().zip(&event.webhooks) {
                    if !stored.contains(row.id.as_str()) {
                        continue;
                    }
                    match &handoff {
                        Some(handoff) if row.lease_token.as_deref() == Some(&*handoff.token) => {
                            jobs.push(Job {
                                delivery: row.clone(),
                                webhook: webhook.clone(),
                                event: Some(event.event.clone()),
                                token: handoff.token.clone(),
                                due: row.triggered_at,
                                leased_at: handoff.leased_at,
                                generation: write.generation,
                            });
                        }
                        _ => left_in_database = true,
                    }
                }
            }
        }
        if let Some(handoff) = handoff {
            self.queue_jobs(&handoff.run, jobs, &handoff.token, QueuedFrom::Ingestion);
        }
        left_in_database
    }
}
