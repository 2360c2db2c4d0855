//! The `herald` binary: read settings, open the database, serve until SIGTERM or Ctrl-C.

use std::{future::IntoFuture, net::SocketAddr, process::ExitCode, sync::Arc};

use server::{
    cli,
    clock::SystemClock,
    config::{SettingError, Settings},
    db::{Database, OpenError},
    router, site, telemetry, AppState,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long a stop waits, after the grace period, for the database connections to close.
const DATABASE_CLOSE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// Why Herald could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    Setting(#[from] SettingError),
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    MasterKey(#[from] server::crypto::KeyError),
    #[error("cannot prepare the first tenant: {0}")]
    Bootstrap(app::error::AppError),
    #[error(transparent)]
    DeliveryClient(#[from] server::delivery::ClientError),
    #[error("cannot listen for SIGTERM and SIGINT: {0}")]
    Signals(std::io::Error),
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load().and_then(|settings| {
        settings.create_data_dir()?;
        Ok(settings)
    }) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("herald: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(command) = &settings.command {
        return match cli::run(&settings, command).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("herald: {error}");
                ExitCode::FAILURE
            }
        };
    }
    telemetry::init(settings.log_format);
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("herald cannot run: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> Result<(), StartError> {
    let mut stop_signals = StopSignals::install()?;
    let database_url = settings.database_url();
    // The key first: PostgreSQL without a master key stops here, before any migration runs.
    let keyring = settings.keyring()?;
    let db = Database::open(&database_url).await?;
    tracing::info!(database = %database_url, "database ready");

    let state = AppState::new(
        site::leptos_options(&settings.site_root),
        db.clone(),
        Arc::new(SystemClock),
        keyring,
        settings.service_settings(),
    )?;
    if let Some(link) = state
        .accounts
        .bootstrap()
        .await
        .map_err(|error| StartError::Bootstrap(error.into_app_error()))?
    {
        // Printed only while no account exists: whoever opens it first becomes the first
        // TenantAdmin, so it goes to the operator's console and nowhere else.
        tracing::info!(
            "No account exists yet. Open this one-time link before {} to create the first TenantAdmin: {}",
            link.expires_at,
            link.url
        );
    }
    let listener =
        TcpListener::bind(settings.listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: settings.listen,
                source,
            })?;
    let address = listener.local_addr().map_err(|source| StartError::Listen {
        addr: settings.listen,
        source,
    })?;
    tracing::info!("Herald is listening on http://{address}");
    let workers = state.deliveries.start();
    let stopping = CancellationToken::new();
    tokio::spawn({
        let stopping = stopping.clone();
        async move {
            stop_signals.next().await;
            tracing::info!("shutting down");
            stopping.cancel();
            stop_signals.next().await;
            tracing::warn!("a second stop signal: exiting without waiting for the grace period");
            std::process::exit(1);
        }
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // On a stop signal the server stops accepting at once and finishes the requests under
    // way, while the workers stop claiming and finish their attempts: both within the grace
    // period.
    let serving = axum::serve(listener, app)
        .with_graceful_shutdown(stopping.clone().cancelled_owned())
        .into_future();
    let mut serving = std::pin::pin!(serving);
    // The server ends on its own only on an error; otherwise it is stopping.
    let ended = tokio::select! {
        served = &mut serving => Some(served),
        () = stopping.cancelled() => None,
    };
    let grace = settings.shutdown_grace;
    let finish_serving = async {
        match ended {
            Some(served) => Some(served),
            None => tokio::time::timeout(grace, &mut serving).await.ok(),
        }
    };
    let (served, stopped) = tokio::join!(finish_serving, workers.shutdown(grace));
    match served {
        Some(served) => served.map_err(StartError::Serve)?,
        None => tracing::warn!("requests still open after the grace period were cut off"),
    }
    // Connections still checked out by requests that were cut off are not waited for long.
    if tokio::time::timeout(DATABASE_CLOSE_PATIENCE, db.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections still in use at exit");
    }
    tracing::info!(
        abandoned_attempts = stopped.abandoned,
        released_deliveries = stopped.released,
        "Herald stopped"
    );
    Ok(())
}

/// SIGTERM and Ctrl-C (SIGINT). The handlers are installed when this is made, before the server
/// starts: a signal that arrives while it is still starting must stop it cleanly too, not kill
/// it. The first signal stops Herald gracefully; a second one ends it at once.
#[cfg(unix)]
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn install() -> Result<Self, StartError> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            terminate: signal(SignalKind::terminate()).map_err(StartError::Signals)?,
            interrupt: signal(SignalKind::interrupt()).map_err(StartError::Signals)?,
        })
    }

    /// The next SIGTERM or SIGINT.
    async fn next(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {},
            _ = self.interrupt.recv() => {},
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn install() -> Result<Self, StartError> {
        Ok(Self)
    }

    /// The next Ctrl-C.
    async fn next(&mut self) {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
