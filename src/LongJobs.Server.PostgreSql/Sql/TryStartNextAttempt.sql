-- A transient failure: the node retries the job in place, in the next attempt. The history closes the failed attempt
-- (retried, with its error) and opens the next one at the end of the backoff, in the same statement.
WITH next AS (
    UPDATE {{schema}}.jobs
    SET attempt = attempt + 1, progress = 0, progress_message = @message, version = version + 1
    WHERE id = @id AND status = 'Running' AND attempt = @failed_attempt
    RETURNING {{job_columns}}, node AS running_on
), failed_attempt AS (
    INSERT INTO {{schema}}.job_attempts AS attempts (job_id, attempt, started_at, ended_at, node, outcome, error)
    SELECT id, @failed_attempt, started_at, @failed_at, running_on, 'Retried', @error FROM next
    ON CONFLICT (job_id, attempt) DO UPDATE
    SET ended_at = excluded.ended_at, outcome = excluded.outcome, error = excluded.error
    WHERE attempts.ended_at IS NULL
), next_attempt AS (
    INSERT INTO {{schema}}.job_attempts (job_id, attempt, started_at, node)
    SELECT id, attempt, @next_starts_at, running_on FROM next
    ON CONFLICT (job_id, attempt) DO NOTHING
)
SELECT {{job_columns}} FROM next;
