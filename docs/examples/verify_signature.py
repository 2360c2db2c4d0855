"""Verifying a Herald delivery in Python 3, with nothing but the standard library.

Herald signs every delivery of a webhook that has a secret twice:
  Qlik-Signature:    hex HMAC-SHA256 of the raw body, keyed with the secret (as Qlik Cloud does)
  webhook-signature: "v1," + base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>"
                     (Standard Webhooks; a library for it takes "whsec_" + base64(secret))
Check either one, over the raw bytes you received: parsing and re-serialising the JSON first
changes them.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time

# How far a Standard Webhooks timestamp may be from now, against replays.
TOLERANCE_SECONDS = 5 * 60


def verify_qlik_signature(secret: str, raw_body: bytes, header: str | None) -> bool:
    """True when `header` (the Qlik-Signature value) signs `raw_body` with `secret`."""
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


def verify_standard_webhook(secret: str, headers: dict, raw_body: bytes, now: float | None = None) -> bool:
    """True when the Standard Webhooks headers (keyed by lower-case name) sign `raw_body`
    with `secret` and the timestamp is recent."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit():
        return False
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = f"{message_id}.{timestamp}.".encode() + raw_body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    # The header may list several space-separated signatures (while a secret is rotated).
    given = headers.get("webhook-signature", "").split(" ")
    return any(hmac.compare_digest(expected, signature) for signature in given)


if __name__ == "__main__":
    # As a command: `WEBHOOK_SECRET=… python3 verify_signature.py` reads one delivery as JSON,
    # {"headers": {...}, "body": "<raw body>"}, from standard input and exits 0 when both
    # signatures hold, 1 otherwise.
    delivery = json.load(sys.stdin)
    headers = {name.lower(): value for name, value in delivery["headers"].items()}
    body = delivery["body"].encode()
    secret = os.environ.get("WEBHOOK_SECRET", "")
    qlik = verify_qlik_signature(secret, body, headers.get("qlik-signature"))
    standard = verify_standard_webhook(secret, headers, body)
    print(f"Qlik-Signature: {'valid' if qlik else 'INVALID'}")
    print(f"webhook-signature: {'valid' if standard else 'INVALID'}")
    sys.exit(0 if qlik and standard else 1)
