-- A stopping node hands a running job back to the queue, unless someone asked to cancel it.
UPDATE {{schema}}.jobs
SET status = CASE WHEN cancellation_requested THEN 'Canceled' ELSE 'Queued' END,
    completed_at = CASE WHEN cancellation_requested THEN @at END,
    progress = CASE WHEN cancellation_requested THEN progress ELSE 0 END,
    progress_message = CASE WHEN cancellation_requested THEN progress_message ELSE @message END,
    node = NULL, lease_expires_at = NULL, version = version + 1
WHERE id = @id AND status = 'Running' AND attempt = @attempt
RETURNING {{job_columns}};
