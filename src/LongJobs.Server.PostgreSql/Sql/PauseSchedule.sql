-- Pauses a schedule, unless it is paused already (one not known yet is added, done up to now); answers its state.
INSERT INTO {{schema}}.job_schedules AS schedule (name, done_until, paused_at) VALUES (@name, @paused_at, @paused_at)
ON CONFLICT (name) DO UPDATE SET paused_at = COALESCE(schedule.paused_at, EXCLUDED.paused_at)
RETURNING name, done_until, last_run_at, last_job_id, paused_at;
