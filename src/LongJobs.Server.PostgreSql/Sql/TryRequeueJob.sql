-- A stopping node (@node) hands a running job back to the queue, unless someone asked to cancel it. The history closes
-- the attempt: retried (another node runs the next one), or cancelled.
WITH requeued AS (
    UPDATE {{schema}}.jobs
    SET status = CASE WHEN cancellation_requested THEN 'Canceled' ELSE 'Queued' END,
        completed_at = CASE WHEN cancellation_requested THEN @at END,
        progress = CASE WHEN cancellation_requested THEN progress ELSE 0 END,
        progress_message = CASE WHEN cancellation_requested THEN progress_message ELSE @message END,
        node = NULL, lease_expires_at = NULL, version = version + 1
    WHERE id = @id AND status = 'Running' AND attempt = @attempt
    RETURNING {{job_columns}}
), ended_attempt AS (
    INSERT INTO {{schema}}.job_attempts AS attempts (job_id, attempt, started_at, ended_at, node, outcome)
    SELECT id, attempt, started_at, @at, @node, CASE WHEN status = 'Canceled' THEN 'Canceled' ELSE 'Retried' END FROM requeued
    ON CONFLICT (job_id, attempt) DO UPDATE
    SET ended_at = excluded.ended_at, outcome = excluded.outcome
    WHERE attempts.ended_at IS NULL
)
SELECT {{job_columns}} FROM requeued;
