-- A node's heartbeat: it holds its running jobs until @lease_expires_at, and learns which were asked to cancel.
UPDATE {{schema}}.jobs
SET node = @node, lease_expires_at = @lease_expires_at
WHERE id = ANY(@ids) AND status = 'Running'
RETURNING id, cancellation_requested;
