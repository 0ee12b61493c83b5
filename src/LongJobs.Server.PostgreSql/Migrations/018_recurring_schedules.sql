-- Recurring schedules: a row per schedule declared in code (AddSchedule), by name, with the due time up to which its
-- occurrences are done. A node starts an occurrence only in the statement that moves done_until up to it (the row
-- locked and checked again), together with the insert of its job: however many nodes try, each occurrence starts once.
-- The schedules' definitions (cron, time zone, request) stay in the code; a schedule no longer declared keeps its row,
-- which nothing reads.
--
-- Rolling upgrade: additive. Nodes of earlier versions know no schedules and never read the table; give every node
-- the same schedules (a node with another cron expression for a name starts occurrences at its own times too).
CREATE TABLE {{schema}}.job_schedules (
    name        text        PRIMARY KEY,
    done_until  timestamptz NOT NULL,
    last_run_at timestamptz,
    last_job_id uuid,
    paused_at   timestamptz
);
