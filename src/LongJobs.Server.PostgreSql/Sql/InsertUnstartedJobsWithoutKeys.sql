-- InsertJobsWithoutKeys for jobs none of which starts (bulk starts, and flushes of single starts that queue their jobs):
-- every row is stored as it was sent, so nothing comes back (a RETURNING clause costs about a twentieth of the
-- statement's time). Keep the statement InsertJobsWithoutKeys but for its RETURNING line.
INSERT INTO {{schema}}.jobs (id, kind, status, attempt, created_at, started_at, request, owner, idempotency_key, max_attempts, notifications, trace_parent, node, lease_expires_at, heartbeat_at, not_before, unique_key, priority, claim_at, retry_of)
SELECT item.id, item.kind, CASE WHEN item.not_before IS NOT NULL THEN 'Scheduled' WHEN start.at IS NOT NULL THEN 'Running' ELSE 'Queued' END,
       CASE WHEN start.at IS NULL THEN 0 ELSE 1 END, item.created_at, start.at, item.request, item.owner, item.idempotency_key, item.max_attempts, item.notifications, item.trace_parent,
       CASE WHEN item.request IS NULL OR start.at IS NOT NULL THEN @node END,
       COALESCE(start.at, CASE WHEN item.request IS NULL THEN item.created_at END) + @lease,
       COALESCE(start.at, CASE WHEN item.request IS NULL THEN item.created_at END),
       item.not_before, item.unique_key, item.priority, item.created_at - item.priority * interval '1 minute', item.retry_of
FROM unnest(@ids, @kinds, @created_ats, @requests, @owners, @idempotency_keys, @max_attempts, @notifications, @trace_parents, @not_befores, @unique_keys, @priorities, @retry_ofs, @started_ats)
         WITH ORDINALITY AS item(id, kind, created_at, request, owner, idempotency_key, max_attempts, notifications, trace_parent, not_before, unique_key, priority, retry_of, started_at, position)
CROSS JOIN LATERAL (SELECT CASE WHEN item.started_at IS NOT NULL AND item.kind <> ALL (ARRAY(SELECT kind FROM {{schema}}.paused_kinds)) THEN item.started_at END AS at) AS start
ORDER BY item.position;
