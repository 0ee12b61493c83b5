UPDATE {{schema}}.jobs
SET status = @status,
    completed_at = @completed_at,
    progress = CASE WHEN @status = 'Succeeded' THEN 1 ELSE progress END,
    result = @result,
    error = @error,
    lease_expires_at = NULL,
    version = version + 1
WHERE id = @id AND status = @expected_status AND status IN ('Queued', 'Running') AND attempt = @expected_attempt
RETURNING id, kind, status, progress, progress_message, created_at, started_at, completed_at,
          request, result, error, cancellation_requested, version, idempotency_key, attempt, max_attempts, notifications, deliveries, owner, trace_parent;
