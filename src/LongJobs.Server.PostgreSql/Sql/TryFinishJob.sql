UPDATE {{schema}}.jobs
SET status = @status,
    completed_at = @completed_at,
    progress = CASE WHEN @status = 'Succeeded' THEN 1 ELSE progress END,
    result = @result,
    error = @error,
    lease_expires_at = NULL,
    version = version + 1
WHERE id = @id AND status = @expected_status AND status IN ('Queued', 'Running') AND attempt = @expected_attempt
RETURNING {{job_columns}};
