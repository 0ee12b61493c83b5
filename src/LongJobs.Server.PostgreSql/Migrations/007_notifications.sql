-- Who to tell when a job finishes (webhook URL, email address), and how each delivery went.
ALTER TABLE {{schema}}.jobs ADD COLUMN notifications jsonb;
ALTER TABLE {{schema}}.jobs ADD COLUMN deliveries jsonb NOT NULL DEFAULT '[]';

-- Event streams of all jobs see a claimable job as it is queued: the insert's announcement names it ('queued:' and
-- the ID). Still one NOTIFY per insert; an ad-hoc job's insert stays silent (its start is announced).
CREATE OR REPLACE FUNCTION {{schema}}.notify_job_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{{channel}}', 'queued:' || NEW.id::text);
    RETURN NULL;
END;
$$;
