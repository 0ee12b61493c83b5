SELECT id, kind, status, progress, progress_message, created_at, started_at, completed_at,
       request, result, error, cancellation_requested, version, idempotency_key, attempt, max_attempts, notifications, deliveries, owner, trace_parent
FROM {{schema}}.jobs WHERE id = @id;
