-- Pauses a kind, unless it is paused already; answers the kind's pause either way.
WITH added AS (
    INSERT INTO {{schema}}.paused_kinds (kind, paused_at) VALUES (@kind, @paused_at)
    ON CONFLICT (kind) DO NOTHING
    RETURNING kind, paused_at
)
SELECT kind, paused_at FROM added
UNION ALL
SELECT kind, paused_at FROM {{schema}}.paused_kinds WHERE kind = @kind AND NOT EXISTS (SELECT FROM added);
