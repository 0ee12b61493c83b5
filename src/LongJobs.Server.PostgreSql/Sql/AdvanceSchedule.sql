-- Marks a schedule's occurrence done and inserts its job (when there is one: @id is not null) in one statement. The
-- schedule's row is locked and checked again after any concurrent advance commits (which then finds it done and changes
-- nothing), so of all nodes one starts the occurrence, once; a repeat after a lost answer changes nothing either. A job
-- whose unique key an unfinished job of its kind holds is not inserted; the occurrence is done all the same. Answers
-- one row: the job inserted (all columns null when none), then whether the schedule advanced.
WITH due AS (
    SELECT name FROM {{schema}}.job_schedules
    WHERE name = @name AND paused_at IS NULL AND done_until < @due
    FOR UPDATE
), inserted AS (
    INSERT INTO {{schema}}.jobs (id, kind, status, created_at, request, max_attempts, trace_parent, unique_key, priority, claim_at)
    SELECT @id, @kind, 'Queued', @created_at, @request, @max_attempts, @trace_parent, @unique_key, @priority, @created_at - @priority * interval '1 minute'
    FROM due
    WHERE @id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING {{job_columns}}
), advanced AS (
    UPDATE {{schema}}.job_schedules AS schedule
    SET done_until = @due,
        last_run_at = CASE WHEN EXISTS (SELECT FROM inserted) THEN @due ELSE schedule.last_run_at END,
        last_job_id = COALESCE((SELECT id FROM inserted), schedule.last_job_id)
    FROM due
    WHERE schedule.name = due.name
    RETURNING schedule.name
)
SELECT inserted.*, EXISTS (SELECT FROM advanced) AS advanced
FROM (SELECT) AS one LEFT JOIN inserted ON true;
