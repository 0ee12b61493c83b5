-- A job whose idempotency key is taken is not inserted; the caller then reads the job that has it.
INSERT INTO {{schema}}.jobs (id, kind, status, created_at, request, idempotency_key, max_attempts)
VALUES (@id, @kind, 'Queued', @created_at, @request, @idempotency_key, @max_attempts)
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id, kind, status, progress, progress_message, created_at, started_at, completed_at,
          request, result, error, cancellation_requested, version, idempotency_key, attempt, max_attempts;
