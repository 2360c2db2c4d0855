//! The workers: one claiming loop per process takes due deliveries under a lease, with what
//! their attempts need, into the fair queue (`fair_queue`). Whenever a worker slot is free it
//! goes to the next attempt the queue gives, and it is free again as soon as the exchange ends:
//! the result is written afterwards by the recorder (`recorder`), still under the lease. No
//! database transaction is open while a request is in flight.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use tokio::{
    sync::{mpsc, OwnedSemaphorePermit},
    task::JoinHandle,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    attempt::{Job, Made},
    concurrency::Signal,
    fair_queue::FairQueue,
    recorder::{Queued, Written, RECORDINGS_WAITING},
    DeliveryEngine,
};
use crate::{
    db::{
        deliveries::{self, Claim},
        events, webhook_changes, webhooks,
    },
    error::Result,
    metrics::{QueuedFrom, Stage},
};

/// How long past the grace period a stop waits for the last results to be written.
const RECORDER_PATIENCE: Duration = Duration::from_secs(5);

/// Most deliveries claimed in one go.
const CLAIM_BATCH: usize = 500;

/// The background tasks of the engine. [`Workers::shutdown`] stops them gracefully; dropping
/// this stops them at once: nothing more is claimed or started, attempts in flight are
/// abandoned, and every lease held runs out on its own.
pub struct Workers {
    engine: DeliveryEngine,
    run: Option<Arc<Run>>,
    claiming: Option<JoinHandle<()>>,
    recorder: Option<JoinHandle<()>>,
    /// The retention job and the PostgreSQL listener: nothing to finish, just stopped.
    others: Vec<JoinHandle<()>>,
}

/// What one start of the workers shares with the tasks it spawns (and with ingestion, which
/// hands new deliveries to it).
pub(super) struct Run {
    /// Set at shutdown: the claiming loop takes no more work.
    stop_claiming: CancellationToken,
    /// The attempts started, so shutdown can wait for them.
    attempts: TaskTracker,
    /// Set when the grace period ends: attempts still running stop.
    abandon: CancellationToken,
    /// The claim tokens of the attempts stopped that way, one per attempt.
    abandoned: Mutex<Vec<String>>,
    /// Where attempts hand their results to the recorder, which ends once every holder of
    /// this run is gone.
    recordings: mpsc::Sender<Queued>,
    pub(super) dispatch: Mutex<Dispatch>,
    /// Claim tokens of deliveries leased to this node but never queued (handed over while it
    /// stopped), given back at the end of the stop; shared so the stop can read it after the
    /// last holder of the run is gone.
    release_at_stop: Arc<Mutex<Vec<String>>>,
}

/// The attempts this process holds, and what the last claim left in the database.
pub(super) struct Dispatch {
    pub(super) queue: FairQueue<Job>,
    /// Webhooks left out of the last claim because they held their share: when one of them
    /// has room for many again, a claim may find more of its due deliveries.
    left_in_database: HashSet<String>,
    /// The last claim found no room in memory at all.
    memory_was_full: bool,
    /// Set when the workers stop: nothing more is queued or started.
    stopping: bool,
}

/// What a graceful stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Attempts still running when the grace period ended, stopped unrecorded.
    pub abandoned: usize,
    /// Deliveries whose leases were given back, due again at once for whichever node is up.
    pub released: u64,
}

impl Workers {
    /// Stops claiming, gives the attempts in flight `grace` to finish and be recorded, then
    /// stops the rest and gives back their leases and those of the attempts not started, so a
    /// restarted or another node takes them over at once instead of after the lease expires.
    pub async fn shutdown(mut self, grace: Duration) -> Stopped {
        let deadline = tokio::time::Instant::now() + grace;
        let Some(run) = self.run.take() else {
            return Stopped {
                abandoned: 0,
                released: 0,
            };
        };
        *lock(&self.engine.inner.running) = None;
        run.stop_claiming.cancel();
        if let Some(mut claiming) = self.claiming.take() {
            // A claim under way ends by queueing its attempts.
            if tokio::time::timeout_at(deadline, &mut claiming)
                .await
                .is_err()
            {
                tracing::warn!(
                    "claiming did not stop within the grace period; its claims expire on their own"
                );
                claiming.abort();
                let _ = claiming.await;
            }
        }
        let mut tokens: Vec<String> = {
            let mut dispatch = lock(&run.dispatch);
            dispatch.stopping = true;
            dispatch
                .queue
                .drain_queued()
                .into_iter()
                .map(|job| job.token.to_string())
                .collect()
        };
        run.attempts.close();
        if tokio::time::timeout_at(deadline, run.attempts.wait())
            .await
            .is_err()
        {
            run.abandon.cancel();
            run.attempts.wait().await;
        }
        let abandoned = std::mem::take(&mut *lock(&run.abandoned));
        let abandoned_count = abandoned.len();
        tokens.extend(abandoned);
        let release_at_stop = run.release_at_stop.clone();
        // The recorder writes what finished attempts handed it, then ends with the run (a
        // group commit under way holds it until it has handed its deliveries over).
        drop(run);
        if let Some(mut recorder) = self.recorder.take() {
            if tokio::time::timeout_at(deadline + RECORDER_PATIENCE, &mut recorder)
                .await
                .is_err()
            {
                tracing::warn!("attempts not recorded in time; their leases expire on their own");
                recorder.abort();
            }
        }
        tokens.extend(std::mem::take(&mut *lock(&release_at_stop)));
        tokens.sort_unstable();
        tokens.dedup();
        let released = match self.engine.release(&tokens).await {
            Ok(released) => released,
            Err(error) => {
                tracing::warn!(%error, "cannot give back the leases of unfinished attempts; they expire on their own");
                0
            }
        };
        Stopped {
            abandoned: abandoned_count,
            released,
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if let Some(run) = &self.run {
            *lock(&self.engine.inner.running) = None;
            lock(&run.dispatch).stopping = true;
            run.stop_claiming.cancel();
            run.abandon.cancel();
        }
        let tasks = self
            .claiming
            .iter()
            .chain(&self.recorder)
            .chain(&self.others);
        for task in tasks {
            task.abort();
        }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Each of `values` once (the ids a batch of claims refers to).
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    values.collect::<HashSet<_>>().into_iter().collect()
}

impl DeliveryEngine {
    /// Starts the claiming loop, the recorder, the retention job and (on PostgreSQL) the
    /// listener that wakes this node when another one accepted events.
    pub fn start(&self) -> Workers {
        let (recordings, queue) = mpsc::channel(RECORDINGS_WAITING);
        let run = Arc::new(Run {
            stop_claiming: CancellationToken::new(),
            attempts: TaskTracker::new(),
            abandon: CancellationToken::new(),
            abandoned: Mutex::new(Vec::new()),
            recordings,
            dispatch: Mutex::new(Dispatch {
                queue: FairQueue::new(
                    self.inner.settings.workers,
                    self.inner.settings.per_webhook_in_flight,
                    self.inner.settings.lease(),
                ),
                left_in_database: HashSet::new(),
                memory_was_full: false,
                stopping: false,
            }),
            release_at_stop: Arc::new(Mutex::new(Vec::new())),
        });
        *lock(&self.inner.running) = Some(run.clone());
        let mut others = vec![tokio::spawn(self.clone().retention_loop())];
        if let Some(url) = self.db().postgres_url() {
            others.push(tokio::spawn(self.clone().listen_loop(url.to_owned())));
        }
        Workers {
            engine: self.clone(),
            claiming: Some(tokio::spawn(self.clone().claim_loop(run.clone()))),
            recorder: Some(tokio::spawn(self.clone().record_loop(queue))),
            run: Some(run),
            others,
        }
    }

    /// Gives back the leases of the claims `tokens`.
    async fn release(&self, tokens: &[String]) -> Result<u64> {
        let mut conn = self.db().connection().await?;
        let now = self.now_millis();
        let mut released = 0;
        for token in tokens {
            released += deliveries::release(&mut conn, token, now).await?;
        }
        if released > 0 {
            deliveries::notify_due(&mut conn, self.db().backend()).await?;
        }
        Ok(released)
    }

    async fn claim_loop(self, run: Arc<Run>) {
        while !run.stop_claiming.is_cancelled() {
            let full = match self.claim(&run).await {
                Ok(full) => full,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim due deliveries");
                    false
                }
            };
            if full && !run.stop_claiming.is_cancelled() {
                continue;
            }
            tokio::select! {
                () = run.stop_claiming.cancelled() => {}
                _ = tokio::time::timeout(
                    self.inner.settings.poll_interval,
                    self.inner.wake.notified(),
                ) => {}
            }
        }
    }

    /// Claims as many due deliveries as this process may hold, loads what their attempts
    /// need and queues them; whether the claim took a whole batch (more may be due).
    #[tracing::instrument(skip_all)]
    async fn claim(&self, run: &Arc<Run>) -> Result<bool> {
        let settings = &self.inner.settings;
        let (room, busy) = {
            let dispatch = lock(&run.dispatch);
            let room = settings
                .delivery_queue
                .saturating_sub(dispatch.queue.held())
                .min(CLAIM_BATCH);
            (room, dispatch.queue.full())
        };
        if room == 0 {
            lock(&run.dispatch).memory_was_full = true;
            return Ok(false);
        }
        let token: Arc<str> = uuid::Uuid::new_v4().to_string().into();
        let now = self.now_millis();
        let lease = self.lease_millis();
        let leased_at = Instant::now();
        let mut taken: HashMap<String, usize> = HashMap::new();
        let mut left_out = HashSet::new();
        let mut skipped = 0;
        let mut tx = self.db().begin().await?;
        let claimed = deliveries::claim_due(
            &mut tx,
            self.db().backend(),
            &Claim {
                now,
                lease_until: now.saturating_add(lease),
                lease_ms: lease,
                token: &token,
                limit: room,
                busy: &busy,
            },
            |webhook| {
                if lock(&run.dispatch).queue.take_room(webhook, &mut taken) {
                    true
                } else {
                    if !left_out.contains(webhook) {
                        left_out.insert(webhook.to_owned());
                    }
                    skipped += 1;
                    false
                }
            },
        )
        .await?;
        tx.commit().await?;
        // Candidates left for want of their webhook's room count too: others may be due.
        let full = claimed.len() + skipped >= room;
        let jobs = match self.jobs_of(claimed, &token, leased_at).await {
            Ok(jobs) => jobs,
            Err(error) => {
                // Nothing will attempt them: give them back rather than wait for the lease.
                if let Err(error) = self.release(&[token.to_string()]).await {
                    tracing::warn!(%error, "cannot give back a claim that was not loaded");
                }
                return Err(error);
            }
        };
        {
            let mut dispatch = lock(&run.dispatch);
            dispatch.left_in_database = busy.into_iter().chain(left_out).collect();
            dispatch.memory_was_full = false;
        }
        self.queue_jobs(run, jobs, &token, QueuedFrom::Database);
        Ok(full)
    }

    /// This process's running workers, if they run.
    pub(super) fn running(&self) -> Option<Arc<Run>> {
        lock(&self.inner.running).clone()
    }

    /// Queues `jobs`, leased under `token`, and starts what free slots allow; once the workers
    /// are stopping, their leases are given back at the end of the stop instead.
    pub(super) fn queue_jobs(
        &self,
        run: &Arc<Run>,
        jobs: Vec<Job>,
        token: &str,
        source: QueuedFrom,
    ) {
        if jobs.is_empty() {
            return;
        }
        {
            let mut dispatch = lock(&run.dispatch);
            if dispatch.stopping {
                lock(&run.release_at_stop).push(token.to_owned());
                return;
            }
            self.inner.metrics.deliveries_queued(source, jobs.len());
            for job in jobs {
                // The webhook row is shared by its jobs: holding it keeps the keys without a copy.
                let webhook = job.webhook.clone();
                dispatch.queue.push(&webhook.tenant_id, &webhook.id, job);
            }
        }
        self.dispatch(run);
    }

    /// The attempts of claimed deliveries, with their webhooks and events read in one query
    /// each. A delivery whose webhook is gone has nothing to attempt.
    async fn jobs_of(
        &self,
        claimed: Vec<deliveries::Claimed>,
        token: &Arc<str>,
        leased_at: Instant,
    ) -> Result<Vec<Job>> {
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let generation = self.db().webhook_changes().current();
        let mut conn = self.db().connection().await?;
        let webhook_ids = distinct(
            claimed
                .iter()
                .map(|claim| claim.delivery.webhook_id.as_str()),
        );
        let webhooks: HashMap<String, Arc<webhooks::WebhookRow>> =
            webhooks::get_many_by_id(&mut conn, &webhook_ids)
                .await?
                .into_iter()
                .map(|webhook| (webhook.id.clone(), Arc::new(webhook)))
                .collect();
        let event_ids = distinct(
            claimed
                .iter()
                .map(|claim| claim.delivery.event_ref.as_str()),
        );
        let events: HashMap<String, Arc<events::EventRow>> =
            events::get_many(&mut conn, &event_ids)
                .await?
                .into_iter()
                .map(|event| (event.id.clone(), Arc::new(event)))
                .collect();
        drop(conn);
        Ok(claimed
            .into_iter()
            .filter_map(|claim| {
                let webhook = webhooks.get(&claim.delivery.webhook_id)?.clone();
                Some(Job {
                    event: events.get(&claim.delivery.event_ref).cloned(),
                    webhook,
                    token: token.clone(),
                    due: claim.due,
                    leased_at,
                    generation,
                    delivery: claim.delivery,
                })
            })
            .collect())
    }

    /// Starts queued attempts while worker slots are free.
    fn dispatch(&self, run: &Arc<Run>) {
        loop {
            let Ok(slot) = self.inner.permits.clone().try_acquire_owned() else {
                return;
            };
            let next = {
                let mut dispatch = lock(&run.dispatch);
                if dispatch.stopping {
                    return;
                }
                dispatch.queue.next()
            };
            let Some((webhook_id, job)) = next else {
                return;
            };
            let (engine, task_run) = (self.clone(), run.clone());
            run.attempts
                .spawn(async move { engine.run_attempt(task_run, webhook_id, job, slot).await });
        }
    }

    /// One attempt in a worker slot: the slot is given back when the exchange ends, the
    /// attempt stays held (and leased) until its result is written.
    #[tracing::instrument(skip_all, fields(delivery_id = %job.delivery.id, %webhook_id))]
    async fn run_attempt(
        self,
        run: Arc<Run>,
        webhook_id: String,
        job: Job,
        slot: OwnedSemaphorePermit,
    ) {
        let metrics = &self.inner.metrics;
        let waited = self.now_millis().saturating_sub(job.due).max(0);
        metrics.stage(
            Stage::Queued,
            Duration::from_millis(u64::try_from(waited).unwrap_or(0)),
        );
        let token = job.token.clone();
        let attempt = async {
            match self.refreshed(job).await {
                Ok(Some(job)) if self.lease_covers_an_attempt(&job) => {
                    self.make_attempt(&job).await
                }
                Ok(Some(_)) => {
                    // Its lease runs out and it is claimed again, by this node or another.
                    tracing::debug!("lease too short for an attempt; left to expire");
                    Ok(Made::nothing())
                }
                Ok(None) => Ok(Made::nothing()),
                Err(error) => Err(error),
            }
        };
        let made = tokio::select! {
            made = attempt => Some(made),
            () = run.abandon.cancelled() => {
                lock(&run.abandoned).push(token.to_string());
                None
            }
        };
        drop(slot);
        let (signal, took) = match &made {
            Some(Ok(Made { signal, took, .. })) => (*signal, *took),
            _ => (Signal::Neutral, None),
        };
        lock(&run.dispatch)
            .queue
            .finished(&webhook_id, signal, took);
        self.dispatch(&run);
        match made {
            Some(Ok(Made {
                recording: Some(recording),
                ..
            })) => {
                // The task ends here; the recorder reports the write.
                let recording_since = Instant::now();
                let (engine, written_run, webhook) =
                    (self.clone(), run.clone(), webhook_id.clone());
                let written: Written = Box::new(move || {
                    engine
                        .inner
                        .metrics
                        .stage(Stage::Record, recording_since.elapsed());
                    engine.recorded(&written_run, &webhook);
                });
                tokio::select! {
                    sent = run.recordings.send((recording, written)) => {
                        if sent.is_ok() {
                            return;
                        }
                    }
                    // Stopped while the recorder was full: the lease is given back unrecorded.
                    () = run.abandon.cancelled() => {
                        lock(&run.release_at_stop).push(token.to_string());
                    }
                }
            }
            Some(Err(error)) => tracing::warn!(%error, "attempt failed"),
            Some(Ok(Made {
                recording: None, ..
            }))
            | None => {}
        }
        self.recorded(&run, &webhook_id);
    }

    /// An attempt to `webhook_id` that ended is written (or will not be): it no longer counts
    /// in memory, and the claiming loop is woken once there is room for many more.
    fn recorded(&self, run: &Run, webhook_id: &str) {
        let more_due = {
            let mut dispatch = lock(&run.dispatch);
            dispatch.queue.recorded(webhook_id);
            // Another claim is worth its transaction once there is room for many.
            let memory_freed = dispatch.memory_was_full
                && dispatch.queue.held() <= self.inner.settings.delivery_queue / 2;
            let share_freed = dispatch.left_in_database.contains(webhook_id)
                && dispatch.queue.held_for(webhook_id) <= dispatch.queue.share(webhook_id) / 2;
            if memory_freed {
                dispatch.memory_was_full = false;
            }
            if share_freed {
                dispatch.left_in_database.remove(webhook_id);
            }
            memory_freed || share_freed
        };
        if more_due {
            self.wake();
        }
    }

    /// Whether what is left of `job`'s lease covers a whole attempt with a quarter to spare,
    /// so that no other node can take the delivery over while it is being sent.
    fn lease_covers_an_attempt(&self, job: &Job) -> bool {
        let settings = &self.inner.settings;
        let longest = settings.connect_timeout + settings.request_timeout;
        job.leased_at.elapsed() + longest + longest / 4 < settings.lease()
    }

    async fn retention_loop(self) {
        loop {
            if let Err(error) = self.purge_expired().await {
                tracing::warn!(%error, "cannot purge old deliveries");
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }

    /// Wakes this node's claiming loop whenever another node commits due deliveries, and
    /// passes on the webhook changes other nodes announce.
    async fn listen_loop(self, url: String) {
        let changes = self.db().webhook_changes().clone();
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    let channels = [deliveries::WAKE_CHANNEL, webhook_changes::CHANNEL];
                    if let Err(error) = listener.listen_all(channels).await {
                        tracing::warn!(%error, "cannot listen for due deliveries");
                    } else {
                        // What was announced while nobody listened is unknown.
                        changes.changed_everywhere();
                        while let Ok(notification) = listener.recv().await {
                            if notification.channel() == webhook_changes::CHANNEL {
                                changes.changed(notification.payload());
                            } else {
                                self.wake();
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot connect to listen for due deliveries"),
            }
            // Polling covers the gap until the listener is back.
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }
}
