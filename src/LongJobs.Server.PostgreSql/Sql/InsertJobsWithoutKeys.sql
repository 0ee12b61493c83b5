-- InsertJobs for bulk inserts of jobs with neither an idempotency key nor a unique key: only their IDs can conflict, and
-- an ID is taken only when a repeat follows an attempt whose answer was lost, or when the caller reuses one. So these are
-- inserted without ON CONFLICT, all or none: a taken ID fails the statement (unique_violation) and inserts nothing, and the
-- caller then sends them again as InsertJobIds, which resolves each. Without ON CONFLICT PostgreSQL skips the
-- speculative insertion (a look-up in each unique index before the row is written, and a WAL record to confirm it),
-- about a tenth of the statement's time; nothing comes back, as every row was inserted. Keep the statement InsertJobs
-- but for those two lines.
INSERT INTO {{schema}}.jobs (id, kind, status, created_at, request, owner, idempotency_key, max_attempts, notifications, trace_parent, node, lease_expires_at, heartbeat_at, not_before, unique_key, priority, claim_at, retry_of)
SELECT item.id, item.kind, CASE WHEN item.not_before IS NULL THEN 'Queued' ELSE 'Scheduled' END, item.created_at, item.request, item.owner, item.idempotency_key, item.max_attempts, item.notifications, item.trace_parent,
       CASE WHEN item.request IS NULL THEN @node END,
       CASE WHEN item.request IS NULL THEN item.created_at + @lease END,
       CASE WHEN item.request IS NULL THEN item.created_at END,
       item.not_before, item.unique_key, item.priority, item.created_at - item.priority * interval '1 minute', item.retry_of
FROM unnest(@ids, @kinds, @created_ats, @requests, @owners, @idempotency_keys, @max_attempts, @notifications, @trace_parents, @not_befores, @unique_keys, @priorities, @retry_ofs)
         WITH ORDINALITY AS item(id, kind, created_at, request, owner, idempotency_key, max_attempts, notifications, trace_parent, not_before, unique_key, priority, retry_of, position)
ORDER BY item.position;
