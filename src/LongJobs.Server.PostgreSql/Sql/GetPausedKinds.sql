-- The paused kinds, by name.
SELECT kind, paused_at FROM {{schema}}.paused_kinds ORDER BY kind;
