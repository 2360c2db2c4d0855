//! The release binary on its own: copied alone into an empty directory, it creates its
//! SQLite database and key file there, serves the console from inside itself, takes an admin
//! and an API key from its operator commands, and delivers a published event, signed, to a
//! local HTTPS receiver.
//!
//! `scripts/test` builds the binary with `scripts/release` and runs this with
//! `HERALD_RELEASE_BINARY=$PWD/target/release/herald cargo test -p server --test release_binary`;
//! plain `cargo test` leaves it out (`test = false`), as it needs that build.

#[path = "common/process.rs"]
mod process;

use std::{path::PathBuf, time::Duration};

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use test_receiver::Receiver;

const HOOKS: &str = "hooks.herald.test";
const SECRET: &str = "a secret of the release test, 32+ chars";

fn release_binary() -> PathBuf {
    let path = std::env::var_os("HERALD_RELEASE_BINARY").unwrap_or_else(|| {
        panic!(
            "HERALD_RELEASE_BINARY is not set: build the binary with scripts/release and point \
             the variable at target/release/herald (scripts/test does both)"
        )
    });
    std::fs::canonicalize(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", PathBuf::from(&path).display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_binary_runs_alone_and_delivers_signed_events() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let herald = dir.path().join("herald");
    std::fs::copy(release_binary(), &herald).expect("copy the binary");

    let receiver = Receiver::start(&[HOOKS], 0).await.expect("receiver");
    let ca_dir = tempfile::tempdir().expect("temporary directory");
    let ca_file = ca_dir.path().join("ca.pem");
    std::fs::write(&ca_file, receiver.ca_pem()).expect("write CA");
    let env = [
        ("HERALD_DELIVERY_HOSTS", format!("{HOOKS}=127.0.0.1")),
        ("HERALD_DELIVERY_ALLOW", "127.0.0.1/32".to_owned()),
        (
            "HERALD_EXTRA_CA_CERTIFICATES",
            ca_file.display().to_string(),
        ),
    ];

    let key = process::admin_and_key(&herald, dir.path(), &env).await;
    let mut child = process::spawn(&herald, dir.path(), &env);
    let address = process::listening_address(&mut child).await;
    // The database, its key and its lock, beside the binary (and SQLite's WAL files).
    let mut made: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list the directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
        .collect();
    made.sort();
    assert_eq!(
        made,
        ["herald", "herald.db", "herald.db.key", "herald.db.lock"]
    );
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("http://{address}{path}")).send();

    // The console and its assets come from inside the binary.
    let page = get("/sign-in").await.expect("sign-in page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page text");
    assert!(html.contains("/pkg/herald.js"), "{html}");
    for (path, content_type) in [
        ("/pkg/herald.wasm", "application/wasm"),
        ("/pkg/herald.js", "text/javascript"),
        ("/pkg/herald.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let asset = get(path).await.expect("asset");
        assert_eq!(asset.status(), 200, "{path}");
        assert_eq!(asset.headers()["content-type"], content_type, "{path}");
        let etag = asset.headers()["etag"].clone();
        assert!(!asset.bytes().await.expect("body").is_empty(), "{path}");
        let again = http
            .get(format!("http://{address}{path}"))
            .header("if-none-match", etag)
            .send()
            .await
            .expect("revalidation");
        assert_eq!(again.status(), 304, "{path}");
    }
    let wasm = get("/pkg/herald.wasm").await.expect("wasm");
    assert!(wasm.bytes().await.expect("wasm body").starts_with(b"\0asm"));
    assert_eq!(get("/no-such-page").await.expect("404").status(), 404);

    let post = |path: &str, body: Value| {
        http.post(format!("http://{address}{path}"))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let created = post(
        "/api/v1/webhooks",
        json!({"name": "release", "url": receiver.url("/release"), "secret": SECRET,
               "eventTypes": ["com.qlik.v1.app.created"]}),
    )
    .await
    .expect("create webhook");
    assert_eq!(created.status(), 201);
    let published = post(
        "/api/v1/events",
        json!({"specversion": "1.0", "id": "e-release", "source": "/apps",
               "type": "com.qlik.v1.app.created", "data": {"id": "app-1"}}),
    )
    .await
    .expect("publish");
    assert_eq!(published.status(), 202);

    let received = receiver
        .wait_for("/release", 1, Duration::from_secs(20))
        .await;
    let request = received.first().expect("the event arrived");
    assert!(request.body.contains("e-release"), "{}", request.body);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(request.body.as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(request.header("qlik-signature"), Some(expected.as_str()));

    assert!(process::terminate(&mut child).await.success());
}
