-- Running jobs whose node stopped renewing their lease (or never took one, @start_grace after starting) fail.
UPDATE {{schema}}.jobs
SET status = 'Failed', completed_at = @now, error = @error, version = version + 1
WHERE status = 'Running'
  AND COALESCE(lease_expires_at, started_at + @start_grace) < @now
RETURNING *;
