//! One attempt over the shared HTTP client (SPEC §5.3): rustls with the system roots plus the
//! operator's CA certificates, connections reused, no proxy (it would bypass the address
//! check), redirects never followed, connect and whole-request timeouts, and the response read
//! up to 64 KiB (after decompression) and 100 headers.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use super::{
    address_policy::Refused, request::Prepared, resolver::GuardedResolver,
    schedule::parse_retry_after, settings::DeliverySettings,
};

/// Most of a response body kept.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// Most response headers kept.
pub const MAX_RESPONSE_HEADERS: usize = 100;

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
        /// A `Retry-After` it sent.
        retry_after: Option<Duration>,
    },
    /// No answer: the connection, TLS or the timeout failed.
    Failed { message: String },
    /// The address check refused the endpoint; nothing was sent.
    Refused { message: String },
}

impl Outcome {
    /// One line for the delivery's status message.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Response { status, .. } if (200..300).contains(status) => {
                format!("delivered: {}", status_text(*status))
            }
            Outcome::Response { status, .. } => {
                format!("the endpoint answered {}", status_text(*status))
            }
            Outcome::Failed { message } | Outcome::Refused { message } => message.clone(),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Response { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `308 Permanent Redirect`: the code with its reason phrase.
pub fn status_text(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason());
    match reason {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read the CA certificate file {path}: {source}")]
    ReadCa {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no usable PEM certificate: {source}")]
    BadCa {
        path: PathBuf,
        source: reqwest::Error,
    },
    #[error("cannot build the delivery HTTP client: {0}")]
    Build(reqwest::Error),
}

/// The one HTTP client every attempt uses.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    resolver: GuardedResolver,
}

impl Sender {
    pub fn new(
        settings: &DeliverySettings,
        resolver: GuardedResolver,
    ) -> Result<Self, ClientError> {
        let mut builder = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(resolver.clone()))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .use_rustls_tls();
        for path in &settings.extra_ca_files {
            let pem = std::fs::read(path).map_err(|source| ClientError::ReadCa {
                path: path.clone(),
                source,
            })?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| {
                ClientError::BadCa {
                    path: path.clone(),
                    source,
                }
            })?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(Self {
            client: builder.build().map_err(ClientError::Build)?,
            resolver,
        })
    }

    /// Makes one attempt: POST `body` with `request`'s URL and headers.
    pub async fn send(&self, request: &Prepared, body: &str, now: time::OffsetDateTime) -> Outcome {
        let url = match reqwest::Url::parse(&request.url) {
            Ok(url) => url,
            Err(error) => {
                return Outcome::Failed {
                    message: format!("the webhook URL cannot be used: {error}"),
                }
            }
        };
        // A URL naming an address is not resolved, so it is checked here (webhook validation
        // refuses them already; this keeps the guard whole if one is ever stored).
        if let Some(address) = url.host_str().and_then(|host| {
            host.trim_matches(|c| c == '[' || c == ']')
                .parse::<IpAddr>()
                .ok()
        }) {
            if let Err(refused) = self.resolver.check(address) {
                return Outcome::Refused {
                    message: refused.to_string(),
                };
            }
        }
        let mut builder = self.client.post(url).body(body.to_owned());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        match builder.send().await {
            Ok(response) => read_response(response, now).await,
            Err(error) => failure(&error),
        }
    }
}

async fn read_response(mut response: reqwest::Response, now: time::OffsetDateTime) -> Outcome {
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .take(MAX_RESPONSE_HEADERS)
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, now));
    let mut body = Vec::new();
    // The body is read until 64 KiB; the rest is left unread (the connection is then closed
    // rather than reused). A body that breaks off keeps what arrived.
    while body.len() < MAX_RESPONSE_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(MAX_RESPONSE_BODY);
    Outcome::Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        retry_after,
    }
}

/// The outcome of a request that got no response: a refused address, or a transport failure
/// described by its innermost cause.
fn failure(error: &reqwest::Error) -> Outcome {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut innermost = error.to_string();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return Outcome::Refused {
                message: refused.to_string(),
            };
        }
        innermost = cause.to_string();
        source = cause.source();
    }
    let message = if error.is_timeout() {
        "the endpoint did not answer in time (timeout)".to_owned()
    } else if error.is_connect() {
        format!("cannot connect to the endpoint: {innermost}")
    } else {
        format!("the request failed: {innermost}")
    };
    Outcome::Failed { message }
}
