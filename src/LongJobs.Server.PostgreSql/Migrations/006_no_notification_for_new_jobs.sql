-- No NOTIFY with a new job's ID: nobody can be waiting for a job that did not exist (a waiter reads the job before
-- it waits, and a job that is not there ends its wait). An insert now announces only a claimable job, to wake the
-- idle nodes, and an ad-hoc job's insert sends nothing. That matters beyond the message: PostgreSQL lets one
-- transaction that sent NOTIFY commit at a time (a database-wide lock, held while the commit is flushed), so every
-- transaction that need not notify is better off not doing so.
CREATE FUNCTION {{schema}}.notify_job_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{{channel}}', 'queued');
    RETURN NULL;
END;
$$;

DROP TRIGGER jobs_inserted_or_deleted ON {{schema}}.jobs;
CREATE TRIGGER jobs_queued AFTER INSERT ON {{schema}}.jobs
    FOR EACH ROW WHEN (NEW.status = 'Queued' AND NEW.request IS NOT NULL) EXECUTE FUNCTION {{schema}}.notify_job_queued();
CREATE TRIGGER jobs_deleted AFTER DELETE ON {{schema}}.jobs
    FOR EACH ROW EXECUTE FUNCTION {{schema}}.notify_job_changed();
