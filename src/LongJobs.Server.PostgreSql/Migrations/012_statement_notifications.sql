-- One NOTIFY per statement, not per row: a statement that changes many jobs (a batch of starts, claims or finishes)
-- announces them together, their IDs joined by commas, at most 200 to a notification (37 bytes each, within
-- PostgreSQL's 8,000-byte payload). The payloads keep their forms: an ID list for changed jobs (as before, an update
-- that bumps no version announces nothing), 'queued:' and the list for claimable jobs inserted, 'queued' for jobs
-- queued again by an update, 'cancel:' and the list for running jobs asked to cancel. A statement that changes no job
-- sends nothing. Nodes of earlier versions read only single IDs: upgrade every node together (they would fall back to
-- their slow re-reads meanwhile).
CREATE FUNCTION {{schema}}.notify_ids(prefix text, ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{{channel}}', prefix || string_agg(id::text, ',' ORDER BY position))
    FROM unnest(ids) WITH ORDINALITY AS changed(id, position)
    GROUP BY (position - 1) / 200;
END;
$$;

CREATE FUNCTION {{schema}}.notify_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {{schema}}.notify_ids('queued:', ARRAY(SELECT id FROM inserted WHERE status = 'Queued' AND request IS NOT NULL));
    RETURN NULL;
END;
$$;

CREATE FUNCTION {{schema}}.notify_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {{schema}}.notify_ids('', ARRAY(
        SELECT after.id FROM updated AS after JOIN previous AS before ON before.id = after.id
        WHERE after.version IS DISTINCT FROM before.version));
    IF EXISTS (SELECT FROM updated AS after JOIN previous AS before ON before.id = after.id
               WHERE after.version IS DISTINCT FROM before.version AND after.status = 'Queued' AND after.request IS NOT NULL) THEN
        PERFORM pg_notify('{{channel}}', 'queued');
    END IF;
    PERFORM {{schema}}.notify_ids('cancel:', ARRAY(
        SELECT after.id FROM updated AS after JOIN previous AS before ON before.id = after.id
        WHERE after.status = 'Running' AND after.cancellation_requested AND NOT before.cancellation_requested));
    RETURN NULL;
END;
$$;

CREATE FUNCTION {{schema}}.notify_jobs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {{schema}}.notify_ids('', ARRAY(SELECT id FROM deleted));
    RETURN NULL;
END;
$$;

DROP TRIGGER jobs_queued ON {{schema}}.jobs;
DROP TRIGGER jobs_changed ON {{schema}}.jobs;
DROP TRIGGER jobs_deleted ON {{schema}}.jobs;
DROP FUNCTION {{schema}}.notify_job_queued();
DROP FUNCTION {{schema}}.notify_job_changed();

CREATE TRIGGER jobs_inserted AFTER INSERT ON {{schema}}.jobs REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.notify_jobs_inserted();
CREATE TRIGGER jobs_updated AFTER UPDATE ON {{schema}}.jobs REFERENCING OLD TABLE AS previous NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.notify_jobs_updated();
CREATE TRIGGER jobs_deleted AFTER DELETE ON {{schema}}.jobs REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.notify_jobs_deleted();
