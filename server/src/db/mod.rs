//! The database: one pool for SQLite or PostgreSQL, opened and migrated at start.
//!
//! Herald talks to both databases through sqlx's `Any` driver with the same SQL
//! (`$1` placeholders, `INTEGER` 0/1 flags, `TEXT` ids, `BIGINT` epoch-millisecond times), so
//! one set of queries and one set of tests serve both. The few statements that must differ
//! live in clearly named per-backend places; migrations are one folder per backend with the
//! same table shapes.

pub mod api_keys;
pub mod deliveries;
pub mod event_types;
pub mod events;
mod instance_lock;
pub mod keyset;
pub mod links;
pub mod sessions;
mod tenant_id;
pub mod tenants;
mod url;
pub mod users;
pub mod webhook_changes;
pub mod webhooks;

use std::{
    ops::{Deref, DerefMut},
    sync::Arc,
    time::Duration,
};

use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    pool::PoolConnection,
    Any, AnyConnection, AnyPool, Database as _, Executor, Postgres, Transaction,
};

pub use instance_lock::{lock_path, InstanceLock, InstanceLockError};
pub use tenant_id::TenantId;
pub use url::{DatabaseUrl, DatabaseUrlError, DEFAULT_SQLITE_FILE};
pub use webhook_changes::WebhookChanges;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// How long a request waits for a pooled connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings applied to every SQLite connection: WAL so readers never block the writer,
/// `FULL` sync so an accepted event survives a power cut, a busy timeout so concurrent
/// writers queue instead of failing, and enforced foreign keys.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; \
     PRAGMA busy_timeout = 5000; \
     PRAGMA foreign_keys = ON;";

/// Makes the transactions that check and then write the same invariant (a tenant keeps an active
/// TenantAdmin; a fresh instance gets one first tenant) run one after another, so that two of
/// them cannot both see the state before the other's write. On PostgreSQL this takes an advisory
/// lock named `invariant` until the transaction ends; SQLite already runs one writer at a time,
/// and a transaction whose reads went stale fails at its first write instead of committing.
pub async fn serialize_on(conn: &mut AnyConnection, invariant: &str) -> Result<(), sqlx::Error> {
    if conn.backend_name() == Postgres::NAME {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(invariant)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Which database engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The engine behind `conn`.
    pub fn of(conn: &AnyConnection) -> Self {
        if conn.backend_name() == Postgres::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// SQL for the database server's clock now, in epoch milliseconds. Leases end by it, so
    /// nodes whose own clocks disagree still agree on whether a lease is live.
    pub fn now_millis_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Locked(#[from] InstanceLockError),
    #[error("cannot connect to the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot migrate the database {url}: {source}")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
}

/// The open, migrated database shared by the whole process.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    /// PostgreSQL: where to open a connection of its own (the workers' LISTEN).
    postgres_url: Option<String>,
    /// Kept alive with the pool: dropping it would let a second Herald open the SQLite file.
    _instance_lock: Option<Arc<InstanceLock>>,
    /// Which tenants' webhooks were written, for the delivery workers' copies.
    webhook_changes: WebhookChanges,
    /// SQLite: this process's writers take turns here rather than in SQLite's busy handler,
    /// which sleeps between tries (milliseconds, growing) even when the lock frees at once.
    write_turn: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A transaction from [`Database::begin`]: derefs to sqlx's, and on SQLite holds this
/// process's write turn until it ends.
pub struct Tx {
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for Tx {
    type Target = Transaction<'static, Any>;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Database {
    /// Opens (creating an SQLite file if missing), configures and migrates the database for a
    /// serving Herald: on SQLite, it also takes the instance lock.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, OpenError> {
        let lock = match url {
            DatabaseUrl::Sqlite { path } => Some(Arc::new(InstanceLock::acquire(path)?)),
            DatabaseUrl::Postgres { .. } => None,
        };
        Self::open_with_lock(url, lock).await
    }

    /// Opens the database for a short operator command (`herald admin create` …), which may run
    /// beside a serving Herald: SQLite queues its writes behind the server's.
    pub async fn open_for_command(url: &DatabaseUrl) -> Result<Self, OpenError> {
        Self::open_with_lock(url, None).await
    }

    async fn open_with_lock(
        url: &DatabaseUrl,
        instance_lock: Option<Arc<InstanceLock>>,
    ) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        let backend = match url {
            DatabaseUrl::Sqlite { .. } => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        };
        let connect_error = |source| OpenError::Connect {
            url: url.to_string(),
            source,
        };
        let options: AnyConnectOptions = url.connect_url().parse().map_err(connect_error)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        connection.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_error)?;

        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&pool)
            .await
            .map_err(|source| OpenError::Migrate {
                url: url.to_string(),
                source,
            })?;

        Ok(Self {
            pool,
            backend,
            postgres_url: match url {
                DatabaseUrl::Postgres { .. } => Some(url.connect_url()),
                DatabaseUrl::Sqlite { .. } => None,
            },
            _instance_lock: instance_lock,
            webhook_changes: WebhookChanges::default(),
            write_turn: (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(()))),
        })
    }

    /// The connection pool, for repositories.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// One pooled connection, for a few repository calls in a row.
    pub async fn connection(&self) -> Result<PoolConnection<Any>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// A transaction: repository calls on it commit together or not at all. On SQLite it takes
    /// the write lock at once (`BEGIN IMMEDIATE`): a transaction that read first and wrote later
    /// would fail when another writer committed in between, instead of waiting its turn. This
    /// process's transactions wait for their turn first (as long as a pooled connection would
    /// be waited for), so they never wait for each other in SQLite's busy handler; single
    /// statements outside a transaction and other processes still meet them there.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let turn = match &self.write_turn {
            Some(turn) => Some(
                tokio::time::timeout(ACQUIRE_TIMEOUT, turn.clone().lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?,
            ),
            None => None,
        };
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx { tx, _turn: turn })
    }

    /// Commits `tx`, which wrote `tenant`'s webhooks, and makes the change known to the
    /// delivery workers of every node (see `webhook_changes`).
    pub async fn commit_webhook_change(
        &self,
        mut tx: Tx,
        tenant: &TenantId,
    ) -> crate::error::Result<()> {
        webhook_changes::announce(&mut tx, self.backend, tenant.as_str()).await?;
        tx.commit().await?;
        self.webhook_changes.changed(tenant.as_str());
        Ok(())
    }

    /// Which tenants' webhooks were written since when.
    pub fn webhook_changes(&self) -> &WebhookChanges {
        &self.webhook_changes
    }

    /// Which engine this is, for the few statements that differ.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// PostgreSQL's URL, for a connection outside the pool; `None` on SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// Runs `job`'s transaction only if no other node is running the same job (on PostgreSQL,
    /// a transaction-scoped advisory lock named `job`; SQLite has one process). False when
    /// another node holds it.
    pub async fn try_job_lock(
        &self,
        conn: &mut AnyConnection,
        job: &str,
    ) -> Result<bool, sqlx::Error> {
        if self.backend != Backend::Postgres {
            return Ok(true);
        }
        let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock(hashtext($1))")
            .bind(job)
            .fetch_one(&mut *conn)
            .await?;
        Ok(locked)
    }

    /// Answers whether the database serves a trivial query right now.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(drop)
    }

    /// Closes every connection; later queries fail. Used at shutdown.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
