-- Marks an unfinished job as asked to cancel. When no row changes, the caller reads the job in a new statement
-- (a fresh snapshot), since a finish this statement waited for is invisible to its own snapshot.
UPDATE {{schema}}.jobs
SET cancellation_requested = true, version = version + 1
WHERE id = @id AND status IN ('Queued', 'Running') AND NOT cancellation_requested
RETURNING *;
