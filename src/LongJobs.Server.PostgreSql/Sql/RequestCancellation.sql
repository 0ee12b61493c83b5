-- Cancels a queued or scheduled job at once (no node runs it yet) and marks a running one for its node to stop. When
-- no row changes, the caller reads the job in a new statement (a fresh snapshot), since a finish this statement waited
-- for is invisible to its own snapshot.
UPDATE {{schema}}.jobs
SET cancellation_requested = true,
    status = CASE WHEN status IN ('Queued', 'Scheduled') THEN 'Canceled' ELSE status END,
    completed_at = CASE WHEN status IN ('Queued', 'Scheduled') THEN @canceled_at ELSE completed_at END,
    version = version + 1
WHERE id = @id AND (status IN ('Queued', 'Scheduled') OR (status = 'Running' AND NOT cancellation_requested))
RETURNING {{job_columns}};
