//! A programmable HTTPS webhook receiver for Herald's tests.
//!
//! It makes its own test CA and a server certificate for the host names it is given, listens on
//! 127.0.0.1, answers each path with the responses planned for it (status, headers, body,
//! delay — in order, the last one repeating), and records every request it receives. Herald
//! reaches it through its own settings: the CA as an extra CA certificate, the names mapped to
//! 127.0.0.1 by the hosts override, and 127.0.0.1 on the allow-list.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use serde::{Deserialize, Serialize};
use tokio::{net::TcpListener, sync::Notify, task::JoinHandle};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    },
    TlsAcceptor,
};

/// One planned answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Planned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay_ms: u64,
}

impl Default for Planned {
    fn default() -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: String::new(),
            delay_ms: 0,
        }
    }
}

impl Planned {
    /// An empty answer with `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn with_body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self
    }
}

/// One request the receiver got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// In arrival order, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// When the request arrived (before any planned delay).
    pub received_at: std::time::SystemTime,
}

impl Received {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(found, _)| *found == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Default)]
struct Shared {
    plans: Mutex<HashMap<String, Vec<Planned>>>,
    received: Mutex<Vec<Received>>,
    arrived: Notify,
}

/// A running receiver; it stops when dropped.
pub struct Receiver {
    address: SocketAddr,
    host: String,
    ca_pem: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// Why the receiver could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

fn failed(what: &str) -> impl Fn(&dyn std::fmt::Display) -> StartError + '_ {
    move |error| StartError(format!("{what}: {error}"))
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1 (`port` 0: any free port) with a certificate for
    /// `hosts` (the first is the one [`Receiver::url`] uses).
    pub async fn start(hosts: &[&str], port: u16) -> Result<Self, StartError> {
        let (ca_pem, tls) = certificates(hosts)?;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| failed("cannot listen")(&e))?;
        let address = listener
            .local_addr()
            .map_err(|e| failed("no address")(&e))?;
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let service = TowerToHyperService::new(app.clone());
                tokio::spawn(async move {
                    // A client that fails the handshake (or leaves) ends only its connection.
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                });
            }
        });
        Ok(Self {
            address,
            host: hosts.first().map_or("localhost", |h| h).to_owned(),
            ca_pem,
            shared,
            task,
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The test CA's certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// `https://HOST:PORT/path` on the first host name.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}:{}{path}", self.host, self.port())
    }

    /// Plans the answers to `path`: one per request in order, the last repeating.
    pub fn plan(&self, path: &str, answers: Vec<Planned>) {
        lock(&self.shared.plans).insert(path.to_owned(), answers);
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    /// The requests received on `path`.
    pub fn received_on(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|request| request.path == path)
            .collect()
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        lock(&self.shared.received).clear();
    }

    /// Waits until `path` has received `count` requests (or `timeout` passed); what it got.
    pub async fn wait_for(&self, path: &str, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            let got = self.received_on(path);
            if got.len() >= count || tokio::time::Instant::now() >= deadline {
                return got;
            }
            let _ = tokio::time::timeout_at(deadline, arrived).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received_at = std::time::SystemTime::now();
    let path = uri.path().to_owned();
    let planned = {
        let mut plans = lock(&shared.plans);
        match plans.get_mut(&path) {
            Some(answers) if answers.len() > 1 => answers.remove(0),
            Some(answers) => answers.first().cloned().unwrap_or_default(),
            None => Planned::default(),
        }
    };
    if planned.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(planned.delay_ms)).await;
    }
    lock(&shared.received).push(Received {
        method: method.to_string(),
        path,
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        received_at,
    });
    shared.arrived.notify_waiters();
    let mut response = (
        StatusCode::from_u16(planned.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        planned.body,
    )
        .into_response();
    for (name, value) in planned.headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(name),
            axum::http::HeaderValue::try_from(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// A fresh test CA and a server configuration with a certificate it signed for `hosts`.
fn certificates(hosts: &[&str]) -> Result<(String, rustls::ServerConfig), StartError> {
    let ca_key = KeyPair::generate().map_err(|e| failed("CA key")(&e))?;
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| failed("CA")(&e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Herald test receiver CA");
    let ca = ca_params
        .self_signed(&ca_key)
        .map_err(|e| failed("CA certificate")(&e))?;
    let key = KeyPair::generate().map_err(|e| failed("server key")(&e))?;
    let names: Vec<String> = hosts.iter().map(|host| (*host).to_owned()).collect();
    let params = CertificateParams::new(names).map_err(|e| failed("server names")(&e))?;
    let certificate = params
        .signed_by(&key, &ca, &ca_key)
        .map_err(|e| failed("server certificate")(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed("TLS versions")(&e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(certificate.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| failed("TLS configuration")(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((ca.pem(), config))
}
