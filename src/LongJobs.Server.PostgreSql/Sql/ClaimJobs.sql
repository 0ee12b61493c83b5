-- Takes the first queued jobs this node can run (by claim_at: creation time less a minute per level of priority; null,
-- from a node of an earlier version, first) and starts them. SKIP LOCKED: nodes claiming at the same moment
-- take different jobs instead of waiting for each other. The kinds are a filter on the queue's own index, never an
-- index condition ("IS TRUE" keeps them out of the index on kind): with statistics that lag behind a fast-growing
-- table, the planner otherwise combines both indexes and reads every job of the kind, finished ones included. A paused
-- kind's jobs are skipped: the paused kinds are read once, as an array (an init plan), and filter the queue's index
-- scan row by row, so the scan still stops at the limit (NOT EXISTS would become an anti-join that reads the whole queue).
-- The plan must not depend on the table's statistics or on a plan cached while the table was small (a fresh table, or
-- one last analysed while its queue was empty): plan_by_index() (migration 021) rules out sorts and sequential scans for
-- this command's transaction, which leaves the ordered walk of jobs_claim_idx, stopped at the limit, and the primary key.
CALL {{schema}}.plan_by_index();
WITH next AS (
    SELECT id AS job_id FROM {{schema}}.jobs
    WHERE status = 'Queued' AND request IS NOT NULL AND (kind = ANY(@kinds)) IS TRUE
      AND kind <> ALL (ARRAY(SELECT kind FROM {{schema}}.paused_kinds))
    ORDER BY claim_at NULLS FIRST, id
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
)
UPDATE {{schema}}.jobs AS jobs
SET status = 'Running', attempt = jobs.attempt + 1, started_at = @started_at, progress = 0, progress_message = NULL,
    node = @node, lease_expires_at = @lease_expires_at, heartbeat_at = @started_at, version = jobs.version + 1
FROM next
WHERE jobs.id = next.job_id
RETURNING {{job_columns}};
