//! What the delivery engine is configured with; the `herald` flags that set them are in
//! `config/`.

use std::{collections::HashMap, net::IpAddr, path::PathBuf, time::Duration};

use ipnet::IpNet;

/// The engine's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySettings {
    /// Longest wait for a TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Longest a whole attempt may take, response body included.
    pub request_timeout: Duration,
    /// The waits after attempt 1, 2, …; one attempt more than waits is made in all.
    pub retry_schedule: Vec<Duration>,
    /// How long deliveries (and events) are kept.
    pub retention: Duration,
    /// Deliveries ended `fail` in a row that disable a webhook.
    pub failure_threshold: u32,
    /// How long every attempt may fail before the webhook is disabled.
    pub failing_period: Duration,
    /// Attempts in flight at once in this process.
    pub workers: usize,
    /// The most attempts in flight at once to one webhook in this process: its limit starts
    /// low, grows while the endpoint answers quickly and halves when it fails or slows down.
    pub per_webhook_in_flight: usize,
    /// The most deliveries this process holds in memory (queued for a worker, in flight or
    /// being recorded); the rest wait in the database.
    pub delivery_queue: usize,
    /// The `User-Agent` of every delivery.
    pub user_agent: String,
    /// Networks deliveries may reach although they are not public.
    pub allowed_networks: Vec<IpNet>,
    /// Host names deliveries may reach whatever they resolve to (lower case, no trailing dot).
    pub allowed_hosts: Vec<String>,
    /// Name → addresses, used instead of DNS (lower case names).
    pub hosts: HashMap<String, Vec<IpAddr>>,
    /// PEM files of CA certificates trusted besides the system's.
    pub extra_ca_files: Vec<PathBuf>,
    /// Largest ingestion request body.
    pub events_body_limit: usize,
    /// How often idle workers look for due deliveries when nothing woke them.
    pub poll_interval: Duration,
}

/// Qlik's schedule: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h.
pub const DEFAULT_RETRY_SCHEDULE: &str = "5s,30s,2min,10min,30min,1h,3h,6h,12h";

impl Default for DeliverySettings {
    fn default() -> Self {
        let minutes = |n: u64| Duration::from_secs(60 * n);
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            retry_schedule: vec![
                Duration::from_secs(5),
                Duration::from_secs(30),
                minutes(2),
                minutes(10),
                minutes(30),
                minutes(60),
                minutes(180),
                minutes(360),
                minutes(720),
            ],
            retention: Duration::from_secs(7 * 24 * 3600),
            failure_threshold: 5,
            failing_period: Duration::from_secs(5 * 24 * 3600),
            workers: 256,
            per_webhook_in_flight: 64,
            delivery_queue: 4096,
            user_agent: "Qlik Webhook".into(),
            allowed_networks: Vec::new(),
            allowed_hosts: Vec::new(),
            hosts: HashMap::new(),
            extra_ca_files: Vec::new(),
            events_body_limit: 1024 * 1024,
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl DeliverySettings {
    /// How long a claim lasts: twice the longest attempt, so a live worker always finishes first.
    pub fn lease(&self) -> Duration {
        (self.connect_timeout + self.request_timeout) * 2
    }

    /// The longest a delivery can wait for its retries (every wait of the schedule at its
    /// longest jitter), `Retry-After` aside.
    pub fn longest_retrying(&self) -> Duration {
        self.retry_schedule
            .iter()
            .sum::<Duration>()
            .mul_f64(1.0 + super::schedule::JITTER)
    }

    /// Attempts made at most.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.retry_schedule.len()).unwrap_or(u32::MAX - 1) + 1
    }
}
