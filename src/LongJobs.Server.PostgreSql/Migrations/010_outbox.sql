-- The outbox: finished jobs whose notifications are still to be delivered, which any node claims and works off, so a
-- notification outlives the node that finished its job. notify_at is when a job's notifications are due (NULL: out of
-- the outbox); a claimant holds a claimed job until notify_lease_until, after which another may take it.
ALTER TABLE {{schema}}.jobs ADD COLUMN notify_at timestamptz;
ALTER TABLE {{schema}}.jobs ADD COLUMN notify_claimant uuid;
ALTER TABLE {{schema}}.jobs ADD COLUMN notify_lease_until timestamptz;

-- Due notifications, the earliest first. Only notify_at is indexed: a claim changes the claimant and lease alone, so
-- its update can stay on the row's page (HOT) and touches no index.
CREATE INDEX jobs_outbox_idx ON {{schema}}.jobs (notify_at) WHERE notify_at IS NOT NULL;

-- A job enters the outbox in the very change that finishes it, whichever statement that is (an outcome, a lost node's
-- job ending, a cancel of a queued job, a requeue that cancels, ...): due at its completion time, which the servers'
-- clocks set, as they set the times of the claims. Only a job that asked to be told: notifications is an object with a
-- member that is not null. The triggers' conditions are evaluated without calling the function, so updates that finish
-- nothing (heartbeats, progress, claims, deliveries) pay next to nothing.
CREATE FUNCTION {{schema}}.enter_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.notify_at := COALESCE(NEW.completed_at, statement_timestamp());
    NEW.notify_claimant := NULL;
    NEW.notify_lease_until := NULL;
    RETURN NEW;
END;
$$;

CREATE TRIGGER jobs_enter_outbox_on_insert BEFORE INSERT ON {{schema}}.jobs
    FOR EACH ROW WHEN (NEW.status IN ('Succeeded', 'Failed', 'Canceled')
                       AND jsonb_typeof(NEW.notifications) = 'object' AND jsonb_strip_nulls(NEW.notifications) <> '{}'::jsonb)
    EXECUTE FUNCTION {{schema}}.enter_outbox();
CREATE TRIGGER jobs_enter_outbox_on_finish BEFORE UPDATE ON {{schema}}.jobs
    FOR EACH ROW WHEN (NEW.status IN ('Succeeded', 'Failed', 'Canceled') AND OLD.status NOT IN ('Succeeded', 'Failed', 'Canceled')
                       AND jsonb_typeof(NEW.notifications) = 'object' AND jsonb_strip_nulls(NEW.notifications) <> '{}'::jsonb)
    EXECUTE FUNCTION {{schema}}.enter_outbox();
