-- The schedules' state, by name.
SELECT name, done_until, last_run_at, last_job_id, paused_at FROM {{schema}}.job_schedules ORDER BY name;
