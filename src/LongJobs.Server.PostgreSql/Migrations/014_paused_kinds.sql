-- Paused kinds: claims skip their queued jobs until the kind is resumed. A resume says 'queued', so idle nodes claim
-- the kind's waiting jobs at once.
--
-- Rolling upgrade: nodes of earlier versions do not know the table and go on claiming a paused kind's jobs; upgrade
-- every node before pausing a kind.
CREATE TABLE {{schema}}.paused_kinds (
    kind      text        PRIMARY KEY,
    paused_at timestamptz NOT NULL
);

CREATE FUNCTION {{schema}}.notify_kinds_resumed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{{channel}}', 'queued');
    RETURN NULL;
END;
$$;

CREATE TRIGGER paused_kinds_deleted AFTER DELETE ON {{schema}}.paused_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.notify_kinds_resumed();
