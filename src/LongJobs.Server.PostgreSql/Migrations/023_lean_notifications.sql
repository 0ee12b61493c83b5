-- The change triggers read their transition tables once per statement, and run no query for what a statement did not do.
-- They announce the same things in the same payloads as before (migrations 012 and 013), but ran every one of their
-- queries on every statement: five for a batch of starts and three joins of the old and new rows for a batch of
-- finishes, most of them finding nothing (a batch of starts that skip the queue is neither queued nor scheduled), and
-- each announcement another query (notify_ids). These fixed costs of a statement count twice as often when two nodes
-- share a load in batches half as large. plan_by_index() likewise makes its three settings in one query. No signature
-- changes: nodes of earlier versions call the same procedure and read the same notifications.

CREATE OR REPLACE PROCEDURE {{schema}}.plan_by_index() LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('enable_sort', 'off', true), set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true);
END;
$$;

-- Announces ids in notifications of at most 200 IDs (37 bytes each, within PostgreSQL's 8,000-byte payload), in their
-- order, each prefixed; nothing for no IDs (an empty or null array).
CREATE OR REPLACE FUNCTION {{schema}}.notify_ids(prefix text, ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..COALESCE(cardinality(ids), 0) BY 200 LOOP
        PERFORM pg_notify('{{channel}}', prefix || array_to_string(ids[i:i + 199], ','));
    END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION {{schema}}.notify_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    queued uuid[];
    scheduled uuid[];
BEGIN
    SELECT array_agg(id) FILTER (WHERE status = 'Queued' AND request IS NOT NULL),
           array_agg(id) FILTER (WHERE status = 'Scheduled')
    INTO queued, scheduled
    FROM inserted;
    IF queued IS NOT NULL THEN
        PERFORM {{schema}}.notify_ids('queued:', queued);
    END IF;
    IF scheduled IS NOT NULL THEN
        PERFORM {{schema}}.notify_ids('', scheduled);
        PERFORM pg_notify('{{channel}}', 'scheduled');
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION {{schema}}.notify_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
    queued boolean;
    canceled uuid[];
BEGIN
    SELECT array_agg(after.id) FILTER (WHERE after.version IS DISTINCT FROM before.version),
           bool_or(after.version IS DISTINCT FROM before.version AND after.status = 'Queued' AND after.request IS NOT NULL),
           array_agg(after.id) FILTER (WHERE after.status = 'Running' AND after.cancellation_requested AND NOT before.cancellation_requested)
    INTO changed, queued, canceled
    FROM updated AS after JOIN previous AS before ON before.id = after.id;
    IF changed IS NOT NULL THEN
        PERFORM {{schema}}.notify_ids('', changed);
    END IF;
    IF queued THEN
        PERFORM pg_notify('{{channel}}', 'queued');
    END IF;
    IF canceled IS NOT NULL THEN
        PERFORM {{schema}}.notify_ids('cancel:', canceled);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION {{schema}}.notify_jobs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {{schema}}.notify_ids('', (SELECT array_agg(id) FROM deleted));
    RETURN NULL;
END;
$$;
