-- The `level` and `origins` list filters get indexes of their own (the (enabled, level) index
-- serves `level` only together with `enabled`).
CREATE INDEX webhooks_level ON webhooks (tenant_id, level);
CREATE INDEX webhooks_origin ON webhooks (tenant_id, origin);
