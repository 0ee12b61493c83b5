-- Resumes a paused schedule, done up to now: the occurrences due while it was paused are not caught up.
UPDATE {{schema}}.job_schedules SET paused_at = NULL, done_until = GREATEST(done_until, @resumed_at)
WHERE name = @name AND paused_at IS NOT NULL;
