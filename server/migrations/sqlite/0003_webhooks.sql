-- Webhooks (SPEC §2) and each tenant's custom event types (SPEC §3).
-- Same shape on SQLite and PostgreSQL. Case-insensitive search and ordering use stored
-- lower-cased copies of name and URL compared byte by byte (PostgreSQL: COLLATE "C"), so both
-- databases sort and page identically; the id breaks ties.

CREATE TABLE webhooks (
    id                           TEXT   PRIMARY KEY NOT NULL,
    tenant_id                    TEXT   NOT NULL REFERENCES tenants (id),
    name                         TEXT   NOT NULL,
    name_key                     TEXT NOT NULL,
    description                  TEXT,
    -- Never logged: query strings often carry tokens.
    url                          TEXT   NOT NULL,
    url_key                      TEXT NOT NULL,
    filter                       TEXT,
    -- JSON object name → value.
    headers                      TEXT   NOT NULL,
    -- Ciphertext (see crypto.rs) of the JSON object name → value; NULL when there are none.
    encrypted_headers            TEXT,
    -- JSON array of the encrypted headers' names, returned to clients.
    encrypted_header_names       TEXT   NOT NULL,
    -- Ciphertext of the signing secret; NULL when there is none.
    secret                       TEXT,
    enabled                      INTEGER NOT NULL,
    disabled_reason              TEXT,
    -- 'endpoint-gone' | 'delivery-failure-threshold' | 'owner-deactivated'
    disabled_reason_code         TEXT,
    -- 'tenant' | 'user'
    level                        TEXT   NOT NULL,
    owner_id                     TEXT   NOT NULL REFERENCES users (id),
    -- 'api' | 'automations' | 'management-console'
    origin                       TEXT   NOT NULL,
    enable_cloud_event_delivery  INTEGER NOT NULL,
    check_certificate_revocation INTEGER NOT NULL,
    created_at                   BIGINT NOT NULL,
    updated_at                   BIGINT NOT NULL,
    created_by_user_id           TEXT   NOT NULL,
    updated_by_user_id           TEXT   NOT NULL
);
CREATE INDEX webhooks_created ON webhooks (tenant_id, created_at, id);
CREATE INDEX webhooks_updated ON webhooks (tenant_id, updated_at, id);
CREATE INDEX webhooks_name ON webhooks (tenant_id, name_key, id);
CREATE INDEX webhooks_url ON webhooks (tenant_id, url_key, id);
CREATE INDEX webhooks_owner ON webhooks (tenant_id, owner_id);
CREATE INDEX webhooks_created_by ON webhooks (tenant_id, created_by_user_id);
CREATE INDEX webhooks_updated_by ON webhooks (tenant_id, updated_by_user_id);
CREATE INDEX webhooks_enabled ON webhooks (tenant_id, enabled, level);

-- A webhook's event types, one row each: the eventTypes filter and event matching use it.
CREATE TABLE webhook_event_types (
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    event_type TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, event_type)
);
CREATE INDEX webhook_event_types_type ON webhook_event_types (tenant_id, event_type, webhook_id);

-- Event types a TenantAdmin added; the built-in ones are in the code (app/src/event_types.rs).
CREATE TABLE custom_event_types (
    tenant_id    TEXT   NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    title        TEXT   NOT NULL,
    description  TEXT   NOT NULL,
    -- Space-separated: 'tenant', 'user'.
    levels       TEXT   NOT NULL,
    category     TEXT   NOT NULL,
    -- The example event's data, as JSON text (sent by test deliveries).
    example_data TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
