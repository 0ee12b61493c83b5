-- Takes the finished jobs whose notifications are due and that no claimant holds (or whose claimant's lease ran out),
-- the earliest due first, and holds them for @claimant until @lease_until. SKIP LOCKED: nodes claiming at the same
-- moment take different jobs; a job another claim took meanwhile is re-checked once locked, and skipped under its new
-- lease. A claim changes nothing users see: the version stays, so no change is announced, and no indexed column moves.
-- The claimed jobs are updated by their IDs (= ANY of an array), which every plan finds by the primary key: a join with
-- the CTE, planned once for any @limit (a generic plan of the prepared statement), would read the whole table.
WITH due AS (
    SELECT id AS job_id FROM {{schema}}.jobs
    WHERE notify_at <= @now AND (notify_lease_until IS NULL OR notify_lease_until <= @now)
    ORDER BY notify_at
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE {{schema}}.jobs AS jobs
    SET notify_claimant = @claimant, notify_lease_until = @lease_until
    WHERE jobs.id = ANY(ARRAY(SELECT job_id FROM due))
    RETURNING {{job_columns}}, jobs.notify_at
)
SELECT {{job_columns}} FROM claimed ORDER BY notify_at, id;
