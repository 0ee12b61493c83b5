-- A job whose idempotency key its owner has used already is not inserted; the caller then reads the job that has it. An ad-hoc job
-- (no request) belongs to this node from the start, and waits in its queue under a lease: if the node dies before
-- running it, another node ends it.
INSERT INTO {{schema}}.jobs (id, kind, status, created_at, request, owner, idempotency_key, max_attempts, notifications, trace_parent, node, lease_expires_at, heartbeat_at)
VALUES (@id, @kind, 'Queued', @created_at, @request, @owner, @idempotency_key, @max_attempts, @notifications, @trace_parent,
        CASE WHEN @request IS NULL THEN @node END,
        CASE WHEN @request IS NULL THEN @lease_expires_at END,
        CASE WHEN @request IS NULL THEN @created_at END)
ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING {{job_columns}};
