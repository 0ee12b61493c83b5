-- Jobs and their state: what IJobStore reads and writes.
CREATE TABLE {{schema}}.jobs (
    id                     uuid             PRIMARY KEY,
    kind                   text             NOT NULL,
    status                 text             NOT NULL CHECK (status IN ('Queued', 'Running', 'Succeeded', 'Failed', 'Canceled')),
    progress               double precision NOT NULL DEFAULT 0,
    progress_message       text,
    created_at             timestamptz      NOT NULL,
    started_at             timestamptz,
    completed_at           timestamptz,
    request                json,            -- json, not jsonb: kept verbatim (key order matters to
    result                 json,            -- System.Text.Json's $type metadata; \u0000 is allowed)
    error                  json,
    cancellation_requested boolean          NOT NULL DEFAULT false,
    version                bigint           NOT NULL DEFAULT 1
);

-- Lists, newest first, optionally by status or kind (keyset paging on created_at, id).
CREATE INDEX jobs_created_at_idx ON {{schema}}.jobs (created_at DESC, id DESC);
CREATE INDEX jobs_status_created_at_idx ON {{schema}}.jobs (status, created_at DESC, id DESC);
CREATE INDEX jobs_kind_created_at_idx ON {{schema}}.jobs (kind, created_at DESC, id DESC);

-- Retention: finished jobs by completion time.
CREATE INDEX jobs_finished_idx ON {{schema}}.jobs (completed_at DESC, id DESC)
    WHERE status IN ('Succeeded', 'Failed', 'Canceled');

-- Every change wakes waiters on every node: the payload is the job's ID.
CREATE FUNCTION {{schema}}.notify_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{{channel}}', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_changed AFTER INSERT OR UPDATE OR DELETE ON {{schema}}.jobs
    FOR EACH ROW EXECUTE FUNCTION {{schema}}.notify_job_changed();
