-- Tenants: the isolation boundary. Every other table refers to one.
-- Same shape as migrations/postgres/0001_tenants.sql: ids TEXT (UUID), times BIGINT (epoch ms, UTC).
CREATE TABLE tenants (
    id         TEXT   PRIMARY KEY NOT NULL,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
