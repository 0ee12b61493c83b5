-- Adds the schedules not known yet, done up to now: their occurrences before it never run. Known ones are left alone.
INSERT INTO {{schema}}.job_schedules (name, done_until)
SELECT name, @now FROM unnest(@names) AS name
ON CONFLICT (name) DO NOTHING;
