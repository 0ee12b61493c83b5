-- Jobs of registered kinds wait here for any node to claim them, and may run more than once: after a transient
-- failure, or after their node was lost. The attempt number also fences off a node that lost a job: progress and
-- outcomes are accepted only from the current attempt.
ALTER TABLE {{schema}}.jobs ADD COLUMN attempt integer NOT NULL DEFAULT 0;
ALTER TABLE {{schema}}.jobs ADD COLUMN max_attempts integer NOT NULL DEFAULT 1 CHECK (max_attempts >= 1);

-- The queue that nodes claim from, oldest first: queued jobs with a request (ad-hoc jobs have none and stay on
-- the node that started them).
CREATE INDEX jobs_queue_idx ON {{schema}}.jobs (created_at, id) WHERE status = 'Queued' AND request IS NOT NULL;

-- Besides the job's ID, a claimable job that is queued (inserted, or re-queued) wakes the idle nodes.
CREATE OR REPLACE FUNCTION {{schema}}.notify_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{{channel}}', COALESCE(NEW.id, OLD.id)::text);
    IF TG_OP <> 'DELETE' AND NEW.status = 'Queued' AND NEW.request IS NOT NULL THEN
        PERFORM pg_notify('{{channel}}', 'queued');
    END IF;
    RETURN NULL;
END;
$$;
