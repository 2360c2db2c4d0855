-- The delivery engine (SPEC §5): accepted events, one delivery per (event, webhook), and every
-- attempt of each. The schedule lives here: a pending delivery is due when next_attempt_at has
-- passed. A worker that claims one moves next_attempt_at to the end of its lease and stamps a
-- lease token; its result is written only while that token is still there, so a worker whose
-- lease ran out cannot overwrite the result of the one that took the delivery over.

CREATE TABLE events (
    -- Herald's own key; (tenant_id, source, event_id) is the publisher's, unique per tenant.
    id                 TEXT   PRIMARY KEY NOT NULL,
    tenant_id          TEXT   NOT NULL REFERENCES tenants (id),
    source             TEXT   NOT NULL,
    event_id           TEXT   NOT NULL,
    event_type         TEXT   NOT NULL,
    -- SHA-256 of the event as received (tenantid left out): the same key with another body is
    -- a conflict, the same body again is a repeat.
    fingerprint        TEXT   NOT NULL,
    -- The request bodies (SPEC §5.2), built once per format when a delivery first needs it.
    legacy_body        TEXT,
    cloud_event_body   TEXT,
    received_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_key ON events (tenant_id, source, event_id);
CREATE INDEX events_received ON events (received_at);

CREATE TABLE deliveries (
    id                 TEXT COLLATE "C"   PRIMARY KEY NOT NULL,
    tenant_id          TEXT   NOT NULL REFERENCES tenants (id),
    webhook_id         TEXT   NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_ref          TEXT   NOT NULL REFERENCES events (id),
    event_type         TEXT   NOT NULL,
    -- 'legacy' | 'cloudevents': which of the event's bodies this delivery sends.
    format             TEXT   NOT NULL,
    -- 'pending' | 'success' | 'fail'
    status             TEXT COLLATE "C"   NOT NULL,
    status_message     TEXT   NOT NULL,
    -- 'automatic' | 'manual' | 'test'
    trigger_kind       TEXT   NOT NULL,
    triggered_at       BIGINT NOT NULL,
    -- Set while pending: when the next attempt is due (or the current lease ends).
    next_attempt_at    BIGINT,
    lease_token        TEXT,
    attempt_count      INTEGER NOT NULL,
    -- The request of the last attempt (before the first: the one it will make), encrypted
    -- header values replaced by **OMITTED**. JSON object name → value.
    request_url        TEXT   NOT NULL,
    request_headers    TEXT   NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_time ON deliveries (webhook_id, triggered_at, id);
CREATE INDEX deliveries_by_status ON deliveries (webhook_id, status, id);
CREATE INDEX deliveries_event ON deliveries (event_ref);
CREATE INDEX deliveries_triggered ON deliveries (triggered_at);

CREATE TABLE delivery_attempts (
    delivery_id        TEXT   NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number             INTEGER NOT NULL,
    started_at         BIGINT NOT NULL,
    duration_ms        BIGINT NOT NULL,
    status_code        INTEGER,
    error              TEXT,
    -- JSON array of [name, value] pairs, at most 100.
    response_headers   TEXT   NOT NULL,
    -- At most 64 KiB of the decompressed body, as text (invalid UTF-8 replaced).
    response_body      TEXT   NOT NULL,
    PRIMARY KEY (delivery_id, number)
);

-- The failure threshold (SPEC §5.5): deliveries that ended 'fail' in a row, and since when
-- every attempt has failed. Test deliveries leave both alone.
ALTER TABLE webhooks ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN failing_since BIGINT;
