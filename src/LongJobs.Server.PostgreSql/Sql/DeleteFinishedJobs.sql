-- One batch of finished jobs to remove: the oldest of those finished before the cutoff, and the oldest of those at or
-- before @beyond_completed_at and @beyond_id, the newest job beyond the count (FindRetentionBoundary; NULL: none).
-- Each branch reads the index of finished jobs from its oldest end, bounded by an index condition, and stops at
-- @batch_size rows, so a large backlog is never sorted whole nor read past. A job whose notifications are still due (in
-- the outbox) is kept until they are delivered or given up; it still counts among the newest kept. Such jobs are few,
-- so skipping them on the heap costs little.
DELETE FROM {{schema}}.jobs
WHERE id IN (
    (SELECT id FROM {{schema}}.jobs
     WHERE status IN ('Succeeded', 'Failed', 'Canceled') AND completed_at < @finished_before AND notify_at IS NULL
     ORDER BY completed_at, id
     LIMIT @batch_size)
    UNION ALL
    (SELECT id FROM {{schema}}.jobs
     WHERE status IN ('Succeeded', 'Failed', 'Canceled') AND notify_at IS NULL
       AND (completed_at, id) <= (@beyond_completed_at::timestamptz, @beyond_id::uuid)
     ORDER BY completed_at, id
     LIMIT @batch_size)
);
