-- Finishes many jobs in one statement, each only in the status and attempt its item expects (a node that lost a job
-- cannot finish its next run). The items name distinct jobs; a job not in the expected status and attempt is not
-- returned.
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
WHERE jobs.id = item.job_id AND jobs.status = item.expected_status AND jobs.status IN ('Queued', 'Running')
  AND jobs.attempt = item.expected_attempt
RETURNING {{job_columns}};
