-- Accounts (SPEC §1, §4.3): users, browser sessions, API keys and one-time links.
-- Same shape on SQLite and PostgreSQL: ids TEXT (UUID), times BIGINT (epoch ms, UTC),
-- enumerations TEXT, secrets stored only as SHA-256 hex digests or Argon2id hashes.

CREATE TABLE users (
    id            TEXT   PRIMARY KEY NOT NULL,
    tenant_id     TEXT   NOT NULL REFERENCES tenants (id),
    -- Lower-cased; sign-in finds the tenant by e-mail, so it is unique across the instance.
    email         TEXT   NOT NULL UNIQUE,
    display_name  TEXT   NOT NULL,
    -- The id the publishing system uses for this person; events carry it.
    external_id   TEXT,
    -- 'tenant-admin' | 'manage-webhooks' | 'use-webhooks'
    role          TEXT   NOT NULL,
    -- 'invited' (no password yet) | 'active' | 'deactivated'
    status        TEXT   NOT NULL,
    -- Argon2id PHC string; NULL until the invite is accepted.
    password_hash TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_external_id ON users (tenant_id, external_id);
CREATE INDEX users_tenant_email ON users (tenant_id, email);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a database leak does not yield usable sessions.
    id           TEXT   PRIMARY KEY NOT NULL,
    tenant_id    TEXT   NOT NULL REFERENCES tenants (id),
    user_id      TEXT   NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id           TEXT   PRIMARY KEY NOT NULL,
    tenant_id    TEXT   NOT NULL REFERENCES tenants (id),
    user_id      TEXT   NOT NULL REFERENCES users (id),
    name         TEXT   NOT NULL,
    -- The public lookup part of the key (shown in lists).
    prefix       TEXT   NOT NULL UNIQUE,
    -- SHA-256 hex of the whole key: 256 random bits need no slow hash.
    secret_hash  TEXT   NOT NULL,
    -- Space-separated: 'webhooks', 'events:publish'.
    scopes       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE one_time_links (
    id         TEXT   PRIMARY KEY NOT NULL,
    -- SHA-256 hex of the link's token.
    token_hash TEXT   NOT NULL UNIQUE,
    -- 'setup' | 'invite' | 'password-reset'
    purpose    TEXT   NOT NULL,
    tenant_id  TEXT   NOT NULL REFERENCES tenants (id),
    -- The account the link acts on; NULL for a setup link (it creates the account).
    user_id    TEXT   REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX one_time_links_user ON one_time_links (user_id, purpose);
