-- Starts one queued job on this node: an ad-hoc job, which only the node that holds its delegate can run.
UPDATE {{schema}}.jobs
SET status = 'Running', attempt = attempt + 1, started_at = @started_at, progress = 0, progress_message = NULL,
    node = @node, lease_expires_at = @lease_expires_at, heartbeat_at = @started_at, version = version + 1
WHERE id = @id AND status = 'Queued'
RETURNING {{job_columns}};
