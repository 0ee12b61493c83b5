-- A node's heartbeat: it holds its running jobs, and the ad-hoc jobs waiting in its queue, until @lease_expires_at,
-- and learns which were asked to cancel. A job another node has taken over since (its lease ran out) is no longer
-- this node's to renew. The index scan on the IDs locks the rows in ID order, as FinishJobs and ReportProgress do.
UPDATE {{schema}}.jobs
SET lease_expires_at = @lease_expires_at, heartbeat_at = @heartbeat_at
WHERE id = ANY(@ids) AND status IN ('Queued', 'Running') AND node = @node
RETURNING id, cancellation_requested;
