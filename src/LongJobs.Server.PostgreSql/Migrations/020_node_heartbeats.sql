-- The nodes alive (issue 16, the dashboard's overview): each node says it is alive at every heartbeat, idle or not, in
-- a row of its own (one upsert per node and heartbeat interval, on a table of a few rows), and removes it when it stops.
-- A node whose heartbeat is older than a lease is not alive: its jobs' leases have run out too. Rows of nodes gone for a
-- day are removed by the heartbeats of the others.
--
-- Rolling upgrade: additive. Nodes of the previous version write no row; the overview still shows those running jobs,
-- from their leases (ListNodes reads the running jobs by node).
CREATE TABLE {{schema}}.node_heartbeats (
    node         text        PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);
