-- A transient failure: the node retries the job in place, in the next attempt.
UPDATE {{schema}}.jobs
SET attempt = attempt + 1, progress = 0, progress_message = @message, version = version + 1
WHERE id = @id AND status = 'Running' AND attempt = @failed_attempt
RETURNING {{job_columns}};
