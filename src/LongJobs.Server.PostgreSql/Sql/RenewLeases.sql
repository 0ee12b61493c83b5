-- A node's heartbeat: it holds its running jobs, and the ad-hoc jobs waiting in its queue, until @lease_expires_at,
-- and learns which were asked to cancel. A job another node has taken over since (its lease ran out) is no longer
-- this node's to renew. The rows are locked in ID order first, as in FinishJobs and ReportProgress: an update takes its
-- rows in the order its scan meets them, the table's own for a sequential or bitmap scan, and a heartbeat that held one
-- job while waiting for another could deadlock with a finish that holds the second and waits for the first (PostgreSQL
-- then fails one of them after deadlock_timeout, a second's stall). A job that changed meanwhile is locked only if it
-- still matches.
WITH locked AS (
    SELECT id AS locked_id FROM {{schema}}.jobs
    WHERE id = ANY(@ids) AND status IN ('Queued', 'Running') AND node = @node
    ORDER BY id
    FOR UPDATE
)
UPDATE {{schema}}.jobs AS jobs
SET lease_expires_at = @lease_expires_at, heartbeat_at = @heartbeat_at
FROM locked
WHERE jobs.id = locked.locked_id AND jobs.status IN ('Queued', 'Running') AND jobs.node = @node
RETURNING jobs.id, jobs.cancellation_requested;
