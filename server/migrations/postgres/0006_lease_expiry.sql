-- A lease's end on the database server's clock: a node whose own clock runs ahead cannot take
-- over a lease that is still live. next_attempt_at keeps moving to the lease's end on the
-- claiming node's clock, so a held delivery is not even looked at by the claiming queries.
ALTER TABLE deliveries ADD COLUMN lease_expires_at BIGINT;
