//! Group commit for ingestion: requests that arrive while a transaction is being written wait
//! and are then written together in the next one, so many publish requests share one disk
//! sync instead of queueing for one each (SQLite has one writer at a time; every commit of
//! either database waits for the disk).
//!
//! Each request is written under a savepoint of its own: one request's refusal (an event id
//! taken by another body) rolls back only that request, never its neighbours. Every request
//! hears its answer only after the transaction holding its events is committed; the new
//! deliveries then go straight to this node's workers (`handoff`).

use std::{
    sync::{Arc, Weak},
    time::Instant,
};

use app::error::AppError;
use sqlx::{Acquire, AnyConnection};
use tokio::sync::{mpsc, oneshot};

use super::{
    ingest::{Accepted, EventWrite, IngestError, Written as EventWritten},
    worker::lock,
    DeliveryEngine, Inner,
};
use crate::{
    db::{deliveries, Database},
    error::Error,
    metrics::Stage,
};

/// Most requests written in one transaction.
const MAX_GROUP: usize = 256;

/// Requests waiting for the committer at most; more wait for a place.
const QUEUE: usize = 1024;

/// Everything one ingestion request writes.
#[derive(Debug)]
pub(super) struct RequestWrite {
    pub is_batch: bool,
    pub events: Vec<EventWrite>,
    /// The webhook changes its subscribers were read after (see `db::webhook_changes`).
    pub generation: u64,
}

type Answer = std::result::Result<Vec<Accepted>, IngestError>;

/// A request waiting to be written.
pub(super) struct Queued {
    write: RequestWrite,
    since: Instant,
    answer: oneshot::Sender<Answer>,
}

/// Where requests queue for the committer task.
pub(super) type Committer = mpsc::Sender<Queued>;

impl DeliveryEngine {
    /// Writes `write` in the next group and answers once it is committed.
    pub(super) async fn group_commit(&self, write: RequestWrite) -> Answer {
        let committer = {
            let mut committer = lock(&self.inner.committer);
            match &*committer {
                Some(running) if !running.is_closed() => running.clone(),
                _ => {
                    let (queue, requests) = mpsc::channel(QUEUE);
                    tokio::spawn(run(Arc::downgrade(&self.inner), requests));
                    *committer = Some(queue.clone());
                    queue
                }
            }
        };
        let (answer, answered) = oneshot::channel();
        let queued = Queued {
            write,
            since: Instant::now(),
            answer,
        };
        if committer.send(queued).await.is_err() {
            return Err(Error::Internal("the ingestion committer has stopped".into()).into());
        }
        answered.await.unwrap_or_else(|_| {
            Err(Error::Internal("the ingestion committer stopped before answering".into()).into())
        })
    }
}

/// The committer: takes whatever requests are queued (at most [`MAX_GROUP`]) and writes them in
/// one transaction. It holds the engine only while it writes a group, and ends when the engine,
/// which holds the queue's sender, is gone.
async fn run(engine: Weak<Inner>, mut requests: mpsc::Receiver<Queued>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while requests.recv_many(&mut group, MAX_GROUP).await > 0 {
        let group = std::mem::take(&mut group);
        let Some(inner) = engine.upgrade() else {
            return;
        };
        DeliveryEngine { inner }.commit_group(group).await;
    }
}

impl DeliveryEngine {
    /// Writes `group` in one transaction, hands the new deliveries to this node's workers and
    /// answers each request.
    async fn commit_group(&self, mut group: Vec<Queued>) {
        let metrics = &self.inner.metrics;
        let began = Instant::now();
        for queued in &group {
            metrics.stage(Stage::CommitWait, began.duration_since(queued.since));
        }
        let requests = group.len();
        let mut writes: Vec<&mut RequestWrite> =
            group.iter_mut().map(|queued| &mut queued.write).collect();
        let handoff = self.lease_new_deliveries(&mut writes);
        let writes: Vec<&RequestWrite> = writes.into_iter().map(|write| &*write).collect();
        let written = match commit(self.db(), &writes, self.lease_millis()).await {
            Ok(written) => {
                metrics.ingest_commit();
                written
            }
            Err(error) => {
                tracing::warn!(%error, requests, "ingestion group not committed");
                (0..requests)
                    .map(|_| Err(IngestError::Failed(error.for_each_caller())))
                    .collect()
            }
        };
        let left_in_database = self.hand_off(handoff, &writes, &written);
        if left_in_database {
            self.wake();
        }
        let took = began.elapsed();
        for (queued, written) in group.into_iter().zip(written) {
            metrics.stage(Stage::Commit, took);
            // A publisher that left no longer waits; its events are stored all the same.
            let _ = queued.answer.send(written.map(|(accepted, _)| accepted));
        }
    }
}

/// What one request wrote: its answer and the ids of the deliveries it stored.
pub(super) type Written = std::result::Result<(Vec<Accepted>, Vec<String>), IngestError>;

/// Writes each request under its own savepoint in one transaction; deliveries handed to this
/// node are leased for `lease_ms`.
async fn commit(
    db: &Database,
    writes: &[&RequestWrite],
    lease_ms: i64,
) -> Result<Vec<Written>, Error> {
    let mut tx = db.begin().await?;
    let mut written = Vec::with_capacity(writes.len());
    let mut made_any = false;
    for write in writes {
        let mut savepoint = tx.begin().await?;
        match write_request(&mut savepoint, write, lease_ms).await {
            Ok((accepted, stored)) => {
                savepoint.commit().await?;
                made_any |= !stored.is_empty();
                written.push(Ok((accepted, stored)));
            }
            Err(refused) => {
                savepoint.rollback().await?;
                written.push(Err(refused));
            }
        }
    }
    if made_any {
        deliveries::notify_due(&mut tx, db.backend()).await?;
    }
    tx.commit().await?;
    Ok(written)
}

/// Writes one request's events, all or none: the answer, and the deliveries stored.
async fn write_request(conn: &mut AnyConnection, write: &RequestWrite, lease_ms: i64) -> Written {
    let mut accepted = Vec::with_capacity(write.events.len());
    let mut stored = Vec::new();
    for (index, event) in write.events.iter().enumerate() {
        let deliveries = match event.write(conn, lease_ms).await? {
            EventWritten::New { deliveries } => {
                let count = deliveries.len();
                stored.extend(deliveries);
                count
            }
            EventWritten::Taken { same_body: true } => 0,
            EventWritten::Taken { same_body: false } => {
                let which = if write.is_batch {
                    format!("Event {index}")
                } else {
                    "This event".to_owned()
                };
                return Err(AppError::Conflict(format!(
                    "{which} (source {}, id {}) was accepted before with a different body: \
                     give a changed event a new id.",
                    event.source(),
                    event.event_id()
                ))
                .into());
            }
        };
        accepted.push(Accepted {
            id: event.event_id().to_owned(),
            deliveries,
        });
    }
    Ok((accepted, stored))
}
