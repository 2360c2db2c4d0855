//! The signatures on a delivery request (SPEC §5.2), made only when the webhook has a secret:
//!
//! - `Qlik-Signature`: lower-case hex HMAC-SHA256 of the body, keyed with the secret's UTF-8
//!   bytes — what Qlik Cloud sends;
//! - the Standard Webhooks headers: `webhook-id` (the delivery id, the same on every retry),
//!   `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
//!   (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, same key). Receivers using a Standard
//!   Webhooks library configure `whsec_` + base64(secret).
//!
//! The body signed is the exact byte string that is sent and stored.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const QLIK_SIGNATURE: &str = "qlik-signature";
pub const WEBHOOK_ID: &str = "webhook-id";
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// The signature headers of one attempt, as (name, value) pairs.
pub fn headers(
    secret: &str,
    delivery_id: &str,
    unix_seconds: i64,
    body: &[u8],
) -> [(&'static str, String); 4] {
    [
        (QLIK_SIGNATURE, qlik_signature(secret, body)),
        (WEBHOOK_ID, delivery_id.to_owned()),
        (WEBHOOK_TIMESTAMP, unix_seconds.to_string()),
        (
            WEBHOOK_SIGNATURE,
            standard_signature(secret, delivery_id, unix_seconds, body),
        ),
    ]
}

/// `Qlik-Signature`: hex HMAC-SHA256(secret, body).
pub fn qlik_signature(secret: &str, body: &[u8]) -> String {
    let digest = hmac(secret, &[body]);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `webhook-signature`: `v1,` + base64 HMAC-SHA256(secret, `id.timestamp.body`).
pub fn standard_signature(secret: &str, id: &str, unix_seconds: i64, body: &[u8]) -> String {
    let timestamp = unix_seconds.to_string();
    let digest = hmac(
        secret,
        &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
    );
    format!("v1,{}", STANDARD.encode(digest))
}

fn hmac(secret: &str, parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    #[test]
    fn qlik_signature_is_hex_hmac_sha256_of_the_body() {
        assert_eq!(
            qlik_signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// The same MAC over `id.timestamp.body`, base64, computed independently with
    /// `printf '%s' 'msg_1.1614265330.{"a":1}' | openssl dgst -sha256 -hmac Jefe -binary | base64`.
    #[test]
    fn standard_signature_signs_id_timestamp_and_body() {
        assert_eq!(
            standard_signature("Jefe", "msg_1", 1_614_265_330, br#"{"a":1}"#),
            "v1,55uCzbA0+4xUwpQ60vFmVF1Voc0vptSKQzfqB9arh7c="
        );
    }

    #[test]
    fn a_standard_webhooks_library_verifies_our_headers() {
        let secret = "0123456789abcdef0123456789abcdef-herald";
        let body = br#"{"eventType":"com.qlik.v1.app.created","data":{"id":"x"}}"#;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut header_map = http::HeaderMap::new();
        for (name, value) in headers(secret, "delivery-1", now, body) {
            header_map.insert(name, value.parse().expect("header value"));
        }
        let library = standardwebhooks::Webhook::new(&format!(
            "whsec_{}",
            STANDARD.encode(secret.as_bytes())
        ))
        .expect("the library takes whsec_ + base64(secret)");
        library
            .verify(body, &header_map)
            .expect("the library accepts our signature");
        let mut tampered = body.to_vec();
        tampered[2] = b'E';
        assert!(library.verify(&tampered, &header_map).is_err());
    }
}
