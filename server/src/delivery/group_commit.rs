//! Group commit for ingestion: requests that arrive while a transaction is being written wait
//! and are then written together in the next one, so many publish requests share one disk
//! sync instead of queueing for one each (SQLite has one writer at a time; every commit of
//! either database waits for the disk).
//!
//! Each request is written under a savepoint of its own: one request's refusal (an event id
//! taken by another body) rolls back only that request, never its neighbours. Every request
//! hears its answer only after the transaction holding its events is committed.

use std::{sync::Arc, time::Instant};

use app::error::AppError;
use sqlx::{Acquire, AnyConnection};
use tokio::sync::{mpsc, oneshot};

use super::{
    ingest::{Accepted, EventWrite, IngestError, Written},
    DeliveryEngine,
};
use crate::{
    db::{deliveries, Database},
    error::Error,
    metrics::{Metrics, Stage},
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
        let committer = self.inner.committer.get_or_init(|| {
            let (queue, requests) = mpsc::channel(QUEUE);
            tokio::spawn(run(self.db().clone(), self.inner.metrics.clone(), requests));
            queue
        });
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
/// one transaction. It ends when the engine, which holds the queue's sender, is gone.
async fn run(db: Database, metrics: Arc<Metrics>, mut requests: mpsc::Receiver<Queued>) {
    while let Some(first) = requests.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let began = Instant::now();
        for queued in &group {
            metrics.stage(Stage::CommitWait, began.duration_since(queued.since));
        }
        let writes: Vec<&RequestWrite> = group.iter().map(|queued| &queued.write).collect();
        let answers = match commit(&db, &writes).await {
            Ok(answers) => {
                metrics.ingest_commit();
                answers
            }
            Err(error) => {
                tracing::warn!(%error, requests = group.len(), "ingestion group not committed");
                group
                    .iter()
                    .map(|_| Err(IngestError::Failed(error.for_each_caller())))
                    .collect()
            }
        };
        let took = began.elapsed();
        for (queued, answer) in group.into_iter().zip(answers) {
            metrics.stage(Stage::Commit, took);
            // A publisher that left no longer waits; its events are stored all the same.
            let _ = queued.answer.send(answer);
        }
    }
}

/// Writes each request under its own savepoint in one transaction; one answer per request.
async fn commit(db: &Database, writes: &[&RequestWrite]) -> Result<Vec<Answer>, Error> {
    let mut tx = db.begin().await?;
    let mut answers = Vec::with_capacity(writes.len());
    let mut made_any = false;
    for write in writes {
        let mut savepoint = tx.begin().await?;
        match write_request(&mut savepoint, write).await {
            Ok(accepted) => {
                savepoint.commit().await?;
                made_any |= accepted.iter().any(|event| event.deliveries > 0);
                answers.push(Ok(accepted));
            }
            Err(refused) => {
                savepoint.rollback().await?;
                answers.push(Err(refused));
            }
        }
    }
    if made_any {
        deliveries::notify_due(&mut tx, db.backend()).await?;
    }
    tx.commit().await?;
    Ok(answers)
}

/// Writes one request's events, all or none.
async fn write_request(conn: &mut AnyConnection, write: &RequestWrite) -> Answer {
    let mut accepted = Vec::with_capacity(write.events.len());
    for (index, event) in write.events.iter().enumerate() {
        let deliveries = match event.write(conn).await? {
            Written::New { deliveries } => deliveries.len(),
            Written::Taken { same_body: true } => 0,
            Written::Taken { same_body: false } => {
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
    Ok(accepted)
}
