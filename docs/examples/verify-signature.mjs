// Verifying a Herald delivery in Node.js (18 or later), with nothing but the standard library.
//
// Herald signs every delivery of a webhook that has a secret twice:
//   Qlik-Signature:    hex HMAC-SHA256 of the raw body, keyed with the secret (as Qlik Cloud does)
//   webhook-signature: "v1," + base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>"
//                      (Standard Webhooks; a library for it takes "whsec_" + base64(secret))
// Check either one, over the raw bytes you received: parsing and re-serialising the JSON first
// changes them.

import { createHmac, timingSafeEqual } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** How far a Standard Webhooks timestamp may be from now, against replays. */
const TOLERANCE_SECONDS = 5 * 60;

function equal(expected, given) {
  const a = Buffer.from(expected);
  const b = Buffer.from(given ?? "");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when `header` (the Qlik-Signature value) signs `rawBody` (a Buffer) with `secret`. */
export function verifyQlikSignature(secret, rawBody, header) {
  const expected = createHmac("sha256", secret).update(rawBody).digest("hex");
  return equal(expected, header);
}

/**
 * True when the Standard Webhooks headers (`headers` keyed by lower-case name) sign `rawBody`
 * with `secret` and the timestamp is recent.
 */
export function verifyStandardWebhook(secret, headers, rawBody, now = Date.now() / 1000) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (!id || !/^\d+$/.test(timestamp ?? "")) return false;
  if (Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected =
    "v1," +
    createHmac("sha256", secret)
      .update(`${id}.${timestamp}.`)
      .update(rawBody)
      .digest("base64");
  // The header may list several space-separated signatures (while a secret is rotated).
  return (headers["webhook-signature"] ?? "").split(" ").some((given) => equal(expected, given));
}

// As a command: `WEBHOOK_SECRET=… node verify-signature.mjs` reads one delivery as JSON,
// {"headers": {...}, "body": "<raw body>"}, from standard input and exits 0 when both
// signatures hold, 1 otherwise.
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const delivery = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const headers = Object.fromEntries(
    Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const body = Buffer.from(delivery.body, "utf8");
  const secret = process.env.WEBHOOK_SECRET ?? "";
  const qlik = verifyQlikSignature(secret, body, headers["qlik-signature"]);
  const standard = verifyStandardWebhook(secret, headers, body);
  console.log(`Qlik-Signature: ${qlik ? "valid" : "INVALID"}`);
  console.log(`webhook-signature: ${standard ? "valid" : "INVALID"}`);
  process.exit(qlik && standard ? 0 : 1);
}
