//! The `herald` binary: read settings, open the database, serve until SIGTERM or Ctrl-C.

use std::{net::SocketAddr, process::ExitCode, sync::Arc};

use server::{
    cli,
    clock::SystemClock,
    config::{SettingError, Settings},
    db::{Database, OpenError},
    router, site, telemetry, AppState,
};
use tokio::net::TcpListener;

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
    let settings = match Settings::load() {
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
    let shutdown = shutdown_signal()?;
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
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartError::Serve)?;
    workers.stop();
    db.close().await;
    tracing::info!("Herald stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when this is called,
/// not when the future is first polled: a signal that arrives while the server is still
/// starting must stop it cleanly too, not kill it.
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, StartError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).map_err(StartError::Signals)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(StartError::Signals)?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutting down");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, StartError> {
    Ok(async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    })
}
