-- When a node last renewed a running job's lease, and who started a job (the authenticated principal, once
-- ownership is configured; empty until then).
ALTER TABLE {{schema}}.jobs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE {{schema}}.jobs ADD COLUMN owner text;

-- Ad-hoc jobs wait in their node's queue under a lease too: those of a node that died are found by it.
CREATE INDEX jobs_queued_ad_hoc_lease_idx ON {{schema}}.jobs (lease_expires_at) WHERE status = 'Queued' AND request IS NULL;

-- A cancel request for a running job is announced to the node running it at once ('cancel:' and the job's ID),
-- so a job that reports no progress stops within milliseconds rather than at its node's next heartbeat.
CREATE OR REPLACE FUNCTION {{schema}}.notify_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{{channel}}', COALESCE(NEW.id, OLD.id)::text);
    IF TG_OP <> 'DELETE' AND NEW.status = 'Queued' AND NEW.request IS NOT NULL THEN
        PERFORM pg_notify('{{channel}}', 'queued');
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'Running' AND NEW.cancellation_requested AND NOT OLD.cancellation_requested THEN
        PERFORM pg_notify('{{channel}}', 'cancel:' || NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;
