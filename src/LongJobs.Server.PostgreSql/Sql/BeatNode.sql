-- A node's heartbeat: it is alive at @now (started at @started_at); the rows of nodes silent since @forget_before go.
WITH beat AS (
    INSERT INTO {{schema}}.node_heartbeats (node, started_at, heartbeat_at) VALUES (@node, @started_at, @now)
    ON CONFLICT (node) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at
)
DELETE FROM {{schema}}.node_heartbeats WHERE heartbeat_at < @forget_before;
