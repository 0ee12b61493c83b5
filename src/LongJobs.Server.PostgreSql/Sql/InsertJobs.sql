-- Inserts many jobs in one statement, in the order given, and answers the ID and status of each one inserted. A job
-- whose ID is taken, whose idempotency key its owner has used already, or whose unique key an unfinished job of its kind
-- has (in the table or earlier in the same statement), is not inserted; the caller then reads the job that has it. The
-- caller knows the rest of each row it sent (a new row's other columns are their defaults; a started job that comes back
-- queued has a paused kind), so the statement does not send, nor the store read, every column of every row. An ad-hoc
-- job (no request) belongs to this node from the start, and waits in its queue under a lease: if the node dies before
-- running it, another node ends it. A job started for later is 'Scheduled' until its not_before. A job with a started_at
-- (a node with a free slot and an empty queue runs it at once) is inserted 'Running' in its first attempt on this node,
-- under its lease, as a claim would start it, unless its kind is paused: then it is queued. A retry names the job it
-- retries (retry_of). Its claim_at is its creation time less a minute per level of priority.
-- A column no job has a value for may come as an empty array: unnest pads the shorter arrays with NULLs.
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
ORDER BY item.position
ON CONFLICT DO NOTHING
RETURNING id, status;
