-- Claims as ClaimJobs does, when the kinds include some limited across nodes (MaxClusterConcurrency). Two statements in
-- one transaction (one command): the first takes a transaction-level advisory lock per limited kind, in name order (so
-- claims never deadlock); the second, whose snapshot is taken after the locks (READ COMMITTED), counts each limited
-- kind's running jobs through the index of running jobs and takes no more of a kind than its limit leaves room for. The
-- locks hold until the claimed jobs are committed as running: claims of a limited kind take turns and never pass its
-- limit. The second statement locks its candidates in queue order, then keeps those within each kind's room; the ones
-- left out stay queued (locked only until the commit). Each job comes back with the number of candidates: when they were
-- @limit and some were left out, jobs of other kinds may wait behind them, and the store claims again (the kinds left out
-- have no room then). Before both, plan_by_index(), as in ClaimJobs.
CALL {{schema}}.plan_by_index();
SELECT count(pg_advisory_xact_lock(@class, hashtext('kind-limit:' || kind))) FROM (SELECT unnest(@limited_kinds) AS kind ORDER BY 1) AS limited;
WITH room AS (
    SELECT limited.kind, limited.max_running - (SELECT count(*) FROM {{schema}}.jobs WHERE status = 'Running' AND kind = limited.kind) AS room
    FROM unnest(@limited_kinds, @max_running) AS limited(kind, max_running)
), candidates AS (
    SELECT id, kind, claim_at FROM {{schema}}.jobs
    WHERE status = 'Queued' AND request IS NOT NULL AND (kind = ANY(@kinds)) IS TRUE
      AND kind <> ALL (ARRAY(SELECT kind FROM {{schema}}.paused_kinds))
      AND kind <> ALL (ARRAY(SELECT kind FROM room WHERE room.room <= 0))
    ORDER BY claim_at NULLS FIRST, id
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
), next AS (
    SELECT candidate.id AS job_id
    FROM (SELECT id, kind, claim_at, row_number() OVER (PARTITION BY kind ORDER BY claim_at NULLS FIRST, id) AS place FROM candidates) AS candidate
    LEFT JOIN room ON room.kind = candidate.kind
    WHERE room.room IS NULL OR candidate.place <= room.room
)
UPDATE {{schema}}.jobs AS jobs
SET status = 'Running', attempt = jobs.attempt + 1, started_at = @started_at, progress = 0, progress_message = NULL,
    node = @node, lease_expires_at = @lease_expires_at, heartbeat_at = @started_at, version = jobs.version + 1
FROM next
WHERE jobs.id = next.job_id
RETURNING {{job_columns}}, (SELECT count(*) FROM candidates) AS candidates;
