-- Jobs whose node stopped renewing their lease (or never took one, @start_grace after starting): running jobs, and
-- ad-hoc jobs waiting in a node's queue. Jobs of registered kinds with attempts left go back to the queue for any
-- node; the others end, cancelled if someone asked to cancel them, failed as lost otherwise. The history closes the
-- attempt of each running job as lost (with @error), whatever becomes of the job, in the same statement.
-- Every node runs it at every heartbeat, and most find nothing: the two kinds of jobs are read as two ranges of their
-- indexes (the status index's running jobs, jobs_queued_ad_hoc_idx), by plain index scans (plan_by_index_scan(), migration
-- 024), so that the dead entries that finished jobs leave there are read from the table once, then skipped.
CALL {{schema}}.plan_by_index_scan();
WITH lost_running AS (
    SELECT id AS job_id, (request IS NOT NULL AND attempt < max_attempts AND NOT cancellation_requested) AS requeue,
           status AS lost_status, attempt AS lost_attempt, started_at AS lost_started_at, node AS lost_node
    FROM {{schema}}.jobs
    WHERE status = 'Running' AND COALESCE(lease_expires_at, started_at + @start_grace) < @now
    FOR UPDATE SKIP LOCKED
), lost_waiting AS (
    SELECT id AS job_id, (request IS NOT NULL AND attempt < max_attempts AND NOT cancellation_requested) AS requeue,
           status AS lost_status, attempt AS lost_attempt, started_at AS lost_started_at, node AS lost_node
    FROM {{schema}}.jobs
    WHERE status = 'Queued' AND request IS NULL AND lease_expires_at < @now
    FOR UPDATE SKIP LOCKED
), lost AS (
    SELECT * FROM lost_running UNION ALL SELECT * FROM lost_waiting
), lost_attempts AS (
    INSERT INTO {{schema}}.job_attempts AS attempts (job_id, attempt, started_at, ended_at, node, outcome, error)
    SELECT job_id, lost_attempt, lost_started_at, @now, lost_node, 'Lost', @error FROM lost WHERE lost_status = 'Running'
    ON CONFLICT (job_id, attempt) DO UPDATE
    SET ended_at = excluded.ended_at, outcome = excluded.outcome, error = excluded.error
    WHERE attempts.ended_at IS NULL
)
UPDATE {{schema}}.jobs AS jobs
SET status = CASE WHEN lost.requeue THEN 'Queued' WHEN jobs.cancellation_requested THEN 'Canceled' ELSE 'Failed' END,
    completed_at = CASE WHEN lost.requeue THEN NULL ELSE @now END,
    error = CASE WHEN lost.requeue OR jobs.cancellation_requested THEN NULL ELSE @error END,
    progress = CASE WHEN lost.requeue THEN 0 ELSE jobs.progress END,
    progress_message = CASE WHEN lost.requeue
        THEN 'Waiting for a server: the one running attempt ' || jobs.attempt || ' was lost.'
        ELSE jobs.progress_message END,
    node = NULL, lease_expires_at = NULL, version = jobs.version + 1
FROM lost
WHERE jobs.id = lost.job_id
RETURNING {{job_columns}};
