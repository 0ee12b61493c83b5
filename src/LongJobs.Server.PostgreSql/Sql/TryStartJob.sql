-- Starts one queued job on this node: an ad-hoc job, which only the node that holds its delegate can run.
UPDATE {{schema}}.jobs
SET status = 'Running', attempt = attempt + 1, started_at = @started_at, progress = 0, progress_message = NULL,
    node = @node, lease_expires_at = @lease_expires_at, heartbeat_at = @started_at, version = version + 1
WHERE id = @id AND status = 'Queued'
RETURNING id, kind, status, progress, progress_message, created_at, started_at, completed_at,
          request, result, error, cancellation_requested, version, idempotency_key, attempt, max_attempts, notifications, deliveries, owner, trace_parent;
