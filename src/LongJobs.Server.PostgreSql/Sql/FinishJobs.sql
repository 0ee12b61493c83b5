-- Finishes many jobs in one statement, each only in the status and attempt its item expects (a node that lost a job
-- cannot finish its next run). The items name distinct jobs; a job not in the expected status and attempt is not
-- returned. The rows are locked in ID order first, as every statement that locks several jobs does (the heartbeat's
-- index scan, progress reports): two such statements never wait for each other in a cycle (a deadlock). A job that was
-- running ends its attempt here too, in its history: the attempt's row (written ahead by an in-place retry) is closed,
-- or made from the job's row. A first attempt that ends the job writes no row: the job's own row (attempt 1, started_at,
-- completed_at, node, status, error) is that attempt, and the history reads it from there (GetJobHistory); most jobs
-- run once, and this keeps a row, an index entry and a key check on the jobs table off every one of them.
-- As in ClaimJobs, plan_by_index() first: the rows are found and locked through the primary key, in ID order, however
-- stale the statistics or the cached plan (a plan made while the table was small reads all of it). The guard that only
-- unfinished jobs finish is on the items' side, so that no condition on the jobs' status alone invites the planner to
-- read them by status instead.
CALL {{schema}}.plan_by_index();
WITH locked AS (
    SELECT id AS locked_id FROM {{schema}}.jobs WHERE id = ANY(@ids) ORDER BY id FOR UPDATE
), finished AS (
    UPDATE {{schema}}.jobs AS jobs
    SET status = item.new_status,
        completed_at = item.new_completed_at,
        progress = CASE WHEN item.new_status = 'Succeeded' THEN 1 ELSE jobs.progress END,
        result = item.new_result,
        error = item.new_error,
        lease_expires_at = NULL,
        version = jobs.version + 1
    FROM unnest(@ids, @expected_statuses, @expected_attempts, @statuses, @completed_ats, @results, @errors)
             AS item(job_id, expected_status, expected_attempt, new_status, new_completed_at, new_result, new_error)
         JOIN locked ON locked.locked_id = item.job_id
    WHERE jobs.id = item.job_id AND jobs.status = item.expected_status AND item.expected_status IN ('Queued', 'Running')
      AND jobs.attempt = item.expected_attempt
    RETURNING {{job_columns}}, item.expected_status AS finished_from, jobs.node AS finished_on
), ended_attempts AS (
    INSERT INTO {{schema}}.job_attempts AS attempts (job_id, attempt, started_at, ended_at, node, outcome, error)
    SELECT id, attempt, started_at, completed_at, finished_on, status, error
    FROM finished WHERE finished_from = 'Running' AND attempt > 1
    ON CONFLICT (job_id, attempt) DO UPDATE
    SET ended_at = excluded.ended_at, outcome = excluded.outcome, error = excluded.error
    WHERE attempts.ended_at IS NULL
)
SELECT {{job_columns}} FROM finished;
