-- A node that stops: it is no longer alive.
DELETE FROM {{schema}}.node_heartbeats WHERE node = @node;
