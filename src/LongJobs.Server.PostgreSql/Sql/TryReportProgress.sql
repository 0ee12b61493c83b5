UPDATE {{schema}}.jobs
SET progress = @progress, progress_message = @message, version = version + 1
WHERE id = @id AND status = 'Running' AND attempt = @attempt
RETURNING id, kind, status, progress, progress_message, created_at, started_at, completed_at,
          request, result, error, cancellation_requested, version, idempotency_key, attempt, max_attempts, notifications, deliveries, owner, trace_parent;
