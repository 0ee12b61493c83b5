-- Which node runs a job, and until when its lease holds: a node renews the leases of its running jobs, and a
-- job whose lease expired belongs to a node that is gone.
ALTER TABLE {{schema}}.jobs ADD COLUMN node text;
ALTER TABLE {{schema}}.jobs ADD COLUMN lease_expires_at timestamptz;
CREATE INDEX jobs_running_lease_idx ON {{schema}}.jobs (lease_expires_at) WHERE status = 'Running';

-- Renewing a lease changes no state anyone waits for: announce only changes that bump the version.
DROP TRIGGER jobs_changed ON {{schema}}.jobs;
CREATE TRIGGER jobs_inserted_or_deleted AFTER INSERT OR DELETE ON {{schema}}.jobs
    FOR EACH ROW EXECUTE FUNCTION {{schema}}.notify_job_changed();
CREATE TRIGGER jobs_changed AFTER UPDATE ON {{schema}}.jobs
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version) EXECUTE FUNCTION {{schema}}.notify_job_changed();
