-- The nodes alive: those whose heartbeat is at or after @alive_after, and those holding running jobs under a lease that
-- has not run out at @now (nodes of a version without heartbeats), each with its running jobs: the running jobs are read
-- as one range of the status index (jobs_status_created_idx), never the table.
WITH running AS (
    SELECT node, count(*)::integer AS jobs, max(lease_expires_at) AS lease_until
    FROM {{schema}}.jobs
    WHERE status = 'Running' AND node IS NOT NULL
    GROUP BY node
),
beats AS (
    SELECT node, started_at, heartbeat_at FROM {{schema}}.node_heartbeats WHERE heartbeat_at >= @alive_after
)
SELECT coalesce(beats.node, running.node), coalesce(running.jobs, 0), beats.started_at, beats.heartbeat_at
FROM beats
FULL JOIN running ON running.node = beats.node
WHERE beats.node IS NOT NULL OR running.lease_until >= @now
ORDER BY 1;
