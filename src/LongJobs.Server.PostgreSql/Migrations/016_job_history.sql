-- A job's history (issue 16): its attempts and the last lines it logged, kept with the job and removed with it (ON
-- DELETE CASCADE: retention's and DELETE's statements stay as they are, whichever node's version runs them).
--
-- Attempts are written by the statements that end them, in the same statement (a CTE beside the job's update):
-- FinishJobs, TryStartNextAttempt, TryRequeueJob and RecoverJobsOfLostNodes. A claim or start writes nothing here: the
-- running attempt is the job's own row (attempt, started_at, node), so the hot path of starting jobs is unchanged and
-- a finish costs one more row in the statement it already runs. Only an in-place retry writes the next attempt's row
-- ahead (its start is after the backoff, and the job's started_at stays the first start).
--
-- Log lines are numbered per job from 1; a write keeps the last N of each job (AppendJobLog), so the lines removed are
-- those before the first kept.
--
-- Rolling upgrade: additive. Nodes of the previous version never read or write these tables, and their statements are
-- unchanged; they go on working beside upgraded nodes. What they run is missing from the history: an attempt they
-- finish has no row (an upgraded node reading the history shows the attempts it knows), and their jobs write no log
-- lines. An attempt they started and an upgraded node ends (a finish after a requeue, a lost node's recovery) is
-- recorded from the job's row.
CREATE TABLE {{schema}}.job_attempts (
    job_id     uuid        NOT NULL REFERENCES {{schema}}.jobs (id) ON DELETE CASCADE,
    attempt    integer     NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    node       text,
    outcome    text        CHECK (outcome IN ('Succeeded', 'Failed', 'Canceled', 'Lost', 'Retried')),
    error      json,
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE {{schema}}.job_log (
    job_id  uuid        NOT NULL REFERENCES {{schema}}.jobs (id) ON DELETE CASCADE,
    line    integer     NOT NULL,
    at      timestamptz NOT NULL,
    level   text        NOT NULL,
    attempt integer     NOT NULL,
    message text        NOT NULL,
    PRIMARY KEY (job_id, line)
);
