//! `test-receiver`: the receiver as a process, for the Playwright suite. It writes its test CA
//! to `--ca-file`, prints one JSON line with its ports, and takes its plans over a plain-HTTP
//! control API on 127.0.0.1:
//!
//! - `PUT /plans?path=/hook` with a JSON array of `{status, headers, body, delayMs}`;
//! - `GET /received` → every request received; `DELETE /received` forgets them.
//!
//! Usage: `test-receiver --ca-file ca.pem [--host NAME]... [--port N] [--control-port N]`

use std::{collections::HashMap, process::ExitCode, sync::Arc};

use axum::{
    extract::{Query, State},
    http::StatusCode,
    routing::{get, put},
    Json, Router,
};
use test_receiver::{Planned, Received, Receiver};

struct Options {
    hosts: Vec<String>,
    port: u16,
    control_port: u16,
    ca_file: String,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        hosts: Vec::new(),
        port: 0,
        control_port: 0,
        ca_file: String::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let port = || {
            value
                .parse::<u16>()
                .map_err(|_| format!("{flag}: {value} is not a port"))
        };
        match flag.as_str() {
            "--host" => options.hosts.push(value.clone()),
            "--port" => options.port = port()?,
            "--control-port" => options.control_port = port()?,
            "--ca-file" => options.ca_file = value.clone(),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if options.ca_file.is_empty() {
        return Err("--ca-file is required".into());
    }
    if options.hosts.is_empty() {
        options.hosts.push("hooks.herald.test".into());
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("test-receiver: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let options = options()?;
    let hosts: Vec<&str> = options.hosts.iter().map(String::as_str).collect();
    let receiver = Arc::new(
        Receiver::start(&hosts, options.port)
            .await
            .map_err(|e| e.to_string())?,
    );
    std::fs::write(&options.ca_file, receiver.ca_pem())
        .map_err(|error| format!("cannot write {}: {error}", options.ca_file))?;
    let control = tokio::net::TcpListener::bind(("127.0.0.1", options.control_port))
        .await
        .map_err(|error| format!("cannot listen for control: {error}"))?;
    let control_port = control.local_addr().map_err(|e| e.to_string())?.port();
    println!(
        "{}",
        serde_json::json!({
            "port": receiver.port(),
            "controlPort": control_port,
            "caFile": options.ca_file,
        })
    );
    let app = Router::new()
        .route("/plans", put(plan))
        .route("/received", get(received).delete(forget))
        .with_state(receiver);
    axum::serve(control, app)
        .await
        .map_err(|error| error.to_string())
}

async fn plan(
    State(receiver): State<Arc<Receiver>>,
    Query(query): Query<HashMap<String, String>>,
    Json(answers): Json<Vec<Planned>>,
) -> Result<StatusCode, (StatusCode, String)> {
    let path = query
        .get("path")
        .ok_or((StatusCode::BAD_REQUEST, "give ?path=/…".to_owned()))?;
    receiver.plan(path, answers);
    Ok(StatusCode::NO_CONTENT)
}

async fn received(State(receiver): State<Arc<Receiver>>) -> Json<Vec<Received>> {
    Json(receiver.received())
}

async fn forget(State(receiver): State<Arc<Receiver>>) -> StatusCode {
    receiver.clear();
    StatusCode::NO_CONTENT
}
