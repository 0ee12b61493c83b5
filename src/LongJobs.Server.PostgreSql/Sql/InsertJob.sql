-- A job whose idempotency key is taken is not inserted; the caller then reads the job that has it.
INSERT INTO {{schema}}.jobs (id, kind, status, created_at, request, idempotency_key, max_attempts)
VALUES (@id, @kind, 'Queued', @created_at, @request, @idempotency_key, @max_attempts)
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING *;
