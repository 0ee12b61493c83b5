UPDATE {{schema}}.jobs
SET status = 'Running', started_at = @started_at, version = version + 1
WHERE id = @id AND status = 'Queued'
RETURNING *;
