-- Records the progress of many running jobs in one statement, each only in the attempt its item names (a node that
-- lost a job cannot report over its next run). The items name distinct jobs; a job not running in that attempt is not
-- returned. Progress is in no index: the update stays on the row's page (HOT). "IS TRUE" keeps the status out of the
-- plan's index conditions: the jobs are found by ID, not by reading every running job through its partial index. The
-- rows are locked in ID order first, as in FinishJobs (no deadlock with the heartbeat or a finish).
WITH locked AS (
    SELECT id AS locked_id FROM {{schema}}.jobs WHERE id = ANY(@ids) ORDER BY id FOR UPDATE
)
UPDATE {{schema}}.jobs AS jobs
SET progress = item.new_progress, progress_message = item.new_message, version = jobs.version + 1
FROM unnest(@ids, @attempts, @progresses, @messages) AS item(job_id, expected_attempt, new_progress, new_message)
     JOIN locked ON locked.locked_id = item.job_id
WHERE jobs.id = item.job_id AND (jobs.status = 'Running') IS TRUE AND jobs.attempt = item.expected_attempt
RETURNING {{job_columns}};
