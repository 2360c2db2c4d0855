//! The delivery engine (SPEC §5): events in (`ingest`), the request each delivery makes
//! (`payload`, `request`, `signature`), where it may go (`address_policy`, `resolver`), one
//! attempt (`send`), what follows it (`schedule`), the workers that claim and record
//! (`worker`), history, resend and test events (`history`), and the purge (`retention`).

pub mod address_policy;
pub mod event;
mod examples;
mod history;
mod ingest;
pub mod matching;
pub mod payload;
pub mod request;
pub mod resolver;
pub mod retention;
pub mod schedule;
pub mod send;
mod settings;
pub mod signature;
mod worker;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::sync::{mpsc, Notify, Semaphore};

use crate::{clock::SharedClock, crypto::Keyring, db::Database};

pub use history::DeliveryListRequest;
pub use ingest::{Accepted, IngestError};
pub use send::ClientError;
pub use settings::{DeliverySettings, DEFAULT_RETRY_SCHEDULE};
pub use worker::{Workers, WEBHOOK_DISABLED};

/// The engine: one per process, shared by the REST handlers, the console and the workers.
#[derive(Clone)]
pub struct DeliveryEngine {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    clock: SharedClock,
    keyring: Arc<Keyring>,
    settings: DeliverySettings,
    sender: send::Sender,
    /// Wakes the claiming loop: new deliveries, a finished attempt, a notification from
    /// another node.
    wake: Notify,
    /// Attempts in flight in this process.
    permits: Arc<Semaphore>,
    /// Attempts in flight per webhook in this process.
    in_flight: Mutex<HashMap<String, usize>>,
    /// Where workers hand their results to the recorder, which [`DeliveryEngine::start`]
    /// starts with the receiving end.
    recordings: mpsc::UnboundedSender<worker::Queued>,
    record_queue: Mutex<Option<mpsc::UnboundedReceiver<worker::Queued>>>,
}

impl DeliveryEngine {
    pub fn new(
        db: Database,
        clock: SharedClock,
        keyring: Arc<Keyring>,
        settings: DeliverySettings,
    ) -> Result<Self, ClientError> {
        let resolver = resolver::GuardedResolver::new(
            address_policy::AddressPolicy::new(settings.allowed_networks.clone()),
            settings.allowed_hosts.clone(),
            settings.hosts.clone(),
        );
        let sender = send::Sender::new(&settings, resolver)?;
        let (recordings, record_queue) = mpsc::unbounded_channel();
        Ok(Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(settings.workers)),
                db,
                clock,
                keyring,
                settings,
                sender,
                wake: Notify::new(),
                in_flight: Mutex::new(HashMap::new()),
                recordings,
                record_queue: Mutex::new(Some(record_queue)),
            }),
        })
    }

    /// Makes the workers look for due deliveries now (after the clock moved, in tests).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// What the engine was configured with.
    pub fn settings(&self) -> &DeliverySettings {
        &self.inner.settings
    }

    /// The largest ingestion request body.
    pub fn events_body_limit(&self) -> usize {
        self.inner.settings.events_body_limit
    }

    fn db(&self) -> &Database {
        &self.inner.db
    }

    fn now_millis(&self) -> i64 {
        crate::timestamps::to_millis(self.inner.clock.now())
    }

    /// The recorder's queue, the first time it is asked for.
    fn take_record_queue(&self) -> Option<mpsc::UnboundedReceiver<worker::Queued>> {
        self.inner
            .record_queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
