-- Moves the scheduled jobs due now into the queue, earliest first. SKIP LOCKED: nodes doing this at the same moment
-- move different jobs, and a job moved by another node is no longer 'Scheduled' when its lock is released.
WITH due AS (
    SELECT id AS due_id FROM {{schema}}.jobs
    WHERE status = 'Scheduled' AND not_before <= @now
    ORDER BY not_before, id
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
)
UPDATE {{schema}}.jobs AS jobs
SET status = 'Queued', version = jobs.version + 1
FROM due
WHERE jobs.id = due.due_id;
