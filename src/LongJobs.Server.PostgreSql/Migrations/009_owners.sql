-- Jobs record their owner (the principal that started them). Idempotency keys belong to their owner: two
-- principals may send one key, each for a job of its own, and neither learns of the other's. Jobs without an owner
-- (NULL) share one key space, as all jobs did before: NULLS NOT DISTINCT (PostgreSQL 15). The key leads: a look-up by
-- key and owner finds it.
DROP INDEX {{schema}}.jobs_idempotency_key_idx;
CREATE UNIQUE INDEX jobs_idempotency_key_owner_idx ON {{schema}}.jobs (idempotency_key, owner) NULLS NOT DISTINCT
    WHERE idempotency_key IS NOT NULL;

-- Lists of one owner's jobs, newest first (keyset paging on created_at, id).
CREATE INDEX jobs_owner_created_at_idx ON {{schema}}.jobs (owner, created_at DESC, id DESC);
