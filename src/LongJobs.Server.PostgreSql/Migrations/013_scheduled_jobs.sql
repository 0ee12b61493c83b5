-- Jobs started for later: 'Scheduled' until not_before, then moved into the queue ('Queued') by whichever node comes
-- first (QueueDueJobs). Scheduled jobs are not in the queue's index, so the claim never reads past them.
--
-- Rolling upgrade: nodes of earlier versions never claim a scheduled job (they claim 'Queued' only) and ignore the
-- 'scheduled' notification, but they cannot read the new status: upgrade every node before starting jobs for later.
ALTER TABLE {{schema}}.jobs ADD COLUMN not_before timestamptz;

-- The check only widens, so existing rows need no validation (NOT VALID: no scan under the migration's lock; new and
-- updated rows are checked all the same).
ALTER TABLE {{schema}}.jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE {{schema}}.jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('Queued', 'Running', 'Succeeded', 'Failed', 'Canceled', 'Scheduled')) NOT VALID;

-- The next due time, and the due jobs, earliest first.
CREATE INDEX jobs_scheduled_idx ON {{schema}}.jobs (not_before, id) WHERE status = 'Scheduled';

-- A statement that schedules jobs announces them as changed jobs (watchers of every job, such as event streams, see
-- them), and says 'scheduled', so every node reads the next due time again at once.
CREATE OR REPLACE FUNCTION {{schema}}.notify_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {{schema}}.notify_ids('queued:', ARRAY(SELECT id FROM inserted WHERE status = 'Queued' AND request IS NOT NULL));
    PERFORM {{schema}}.notify_ids('', ARRAY(SELECT id FROM inserted WHERE status = 'Scheduled'));
    IF EXISTS (SELECT FROM inserted WHERE status = 'Scheduled') THEN
        PERFORM pg_notify('{{channel}}', 'scheduled');
    END IF;
    RETURN NULL;
END;
$$;
