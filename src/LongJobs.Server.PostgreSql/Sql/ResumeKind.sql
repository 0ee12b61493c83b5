-- Resumes a kind; its trigger says 'queued', so nodes claim the kind's waiting jobs.
DELETE FROM {{schema}}.paused_kinds WHERE kind = @kind;
