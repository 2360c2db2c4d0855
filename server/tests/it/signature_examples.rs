//! The signature checks the operator guide gives to receivers (`docs/examples/`), run with Node
//! and Python on a real delivery: they accept it, and refuse it with a changed body or another
//! secret.

use serde_json::{json, Map, Value};
use tokio::{io::AsyncWriteExt, process::Command};

use crate::{
    delivery_support::{event, Harness},
    support::Engine,
};

const SECRET: &str = "the receiver's shared secret, 32+ chars";

/// Runs `program script` with the delivery on standard input; whether it exited 0, and what it
/// printed.
async fn verify(program: &str, script: &str, secret: &str, delivery: &Value) -> (bool, String) {
    let path = format!("{}/../docs/examples/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(program)
        .arg(&path)
        .env("WEBHOOK_SECRET", secret)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(delivery.to_string().as_bytes())
        .await
        .expect("write the delivery");
    drop(stdin);
    let output = child.wait_with_output().await.expect("finished");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), printed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_node_and_python_checks_verify_a_real_delivery() {
    let h = Harness::start(Engine::Sqlite).await;
    // The checks refuse a timestamp more than five minutes from their own clock.
    h.app.clock.set(time::OffsetDateTime::now_utc());
    h.webhook("/signed", json!({"secret": SECRET})).await;
    h.publish(event("e-signed")).await;
    let received = h
        .receiver
        .wait_for("/signed", 1, std::time::Duration::from_secs(10))
        .await;
    let request = received.first().expect("delivered");
    let headers: Map<String, Value> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
        .collect();
    let delivery = json!({"headers": headers, "body": request.body});
    let mut tampered = delivery.clone();
    tampered["body"] = Value::from(request.body.replace("e-signed", "e-forged"));

    for (program, script) in [
        ("node", "verify-signature.mjs"),
        ("python3", "verify_signature.py"),
    ] {
        let (valid, printed) = verify(program, script, SECRET, &delivery).await;
        assert!(valid, "{script} refused a real delivery: {printed}");
        assert!(printed.contains("Qlik-Signature: valid"), "{printed}");
        assert!(printed.contains("webhook-signature: valid"), "{printed}");

        // Each check on its own refuses a changed body and another secret.
        for (wrong, secret) in [(&tampered, SECRET), (&delivery, "another secret")] {
            let (valid, printed) = verify(program, script, secret, wrong).await;
            assert!(!valid, "{script} accepted a forgery: {printed}");
            assert!(printed.contains("Qlik-Signature: INVALID"), "{printed}");
            assert!(printed.contains("webhook-signature: INVALID"), "{printed}");
        }
    }
}
