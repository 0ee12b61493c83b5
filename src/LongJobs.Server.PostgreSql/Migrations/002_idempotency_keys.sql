-- At most one job per Idempotency-Key, for as long as the job is kept.
ALTER TABLE {{schema}}.jobs ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX jobs_idempotency_key_idx ON {{schema}}.jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
