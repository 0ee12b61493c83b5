-- A transient failure: the node retries the job in place, in the next attempt.
UPDATE {{schema}}.jobs
SET attempt = attempt + 1, progress = 0, progress_message = @message, version = version + 1
WHERE id = @id AND status = 'Running' AND attempt = @failed_attempt
RETURNING id, kind, status, progress, progress_message, created_at, started_at, completed_at,
          request, result, error, cancellation_requested, version, idempotency_key, attempt, max_attempts, notifications, deliveries, owner, trace_parent;
