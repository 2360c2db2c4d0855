//! The delivery engine: events in (`ingest`, written together by `group_commit`; `matching`
//! picks their webhooks), the request each delivery makes (`payload`, `request`,
//! `signature`), where it may go (`address_policy`, `resolver`), the workers that claim due
//! deliveries and give worker slots in turns (`worker`, `fair_queue`, `concurrency`), one
//! attempt (`attempt`, `send`), what follows it (`schedule`) and its recording (`recorder`),
//! history, resend and test events (`history`), and the purge (`retention`).

pub mod address_policy;
mod attempt;
mod concurrency;
pub mod event;
mod examples;
mod fair_queue;
mod group_commit;
mod handoff;
mod history;
mod ingest;
pub mod matching;
pub mod payload;
mod recorder;
pub mod request;
pub mod resolver;
pub mod retention;
pub mod schedule;
pub mod send;
mod settings;
pub mod signature;
mod worker;

use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, Semaphore};

use crate::{clock::SharedClock, crypto::Keyring, db::Database, metrics::Metrics};

pub use attempt::WEBHOOK_DISABLED;
pub use history::DeliveryListRequest;
pub use ingest::{Accepted, IngestError};
pub use send::ClientError;
pub use settings::{DeliverySettings, DEFAULT_RETRY_SCHEDULE};
pub use worker::{Stopped, Workers};

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
    /// Wakes the claiming loop: new deliveries, room for more, a notification from another
    /// node.
    wake: Notify,
    /// Worker slots: exchanges in flight in this process.
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    /// Where ingestion requests queue to be written together, started by the first one (and
    /// again should it ever stop).
    committer: Mutex<Option<group_commit::Committer>>,
    /// The workers while they run: ingestion hands them new deliveries.
    running: Mutex<Option<Arc<worker::Run>>>,
}

impl DeliveryEngine {
    pub fn new(
        db: Database,
        clock: SharedClock,
        keyring: Arc<Keyring>,
        settings: DeliverySettings,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ClientError> {
        let resolver = resolver::GuardedResolver::new(
            address_policy::AddressPolicy::new(settings.allowed_networks.clone()),
            settings.allowed_hosts.clone(),
            settings.hosts.clone(),
        );
        let sender = send::Sender::new(&settings, resolver)?;
        Ok(Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(settings.workers)),
                db,
                clock,
                keyring,
                settings,
                sender,
                wake: Notify::new(),
                metrics,
                committer: Mutex::new(None),
                running: Mutex::new(None),
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

    /// What this process counts for `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// How many worker slots are busy: exchanges under way (a result waiting to be recorded
    /// no longer holds one; a console resend runs outside the workers and is not counted).
    pub fn attempts_in_flight(&self) -> usize {
        self.inner
            .settings
            .workers
            .saturating_sub(self.inner.permits.available_permits())
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

    /// How long a lease lasts, in milliseconds.
    fn lease_millis(&self) -> i64 {
        i64::try_from(self.inner.settings.lease().as_millis()).unwrap_or(i64::MAX)
    }
}
