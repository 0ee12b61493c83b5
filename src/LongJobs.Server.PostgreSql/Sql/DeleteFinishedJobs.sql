-- One batch of finished jobs to remove: the oldest of those finished before the cutoff, and of those beyond the
-- newest @keep_at_most. Each branch stops at @batch_size rows, so a large backlog is never sorted whole. A job whose
-- notifications are still due (in the outbox) is kept until they are delivered or given up; it still counts among
-- the newest @keep_at_most. Such jobs are few, so skipping them on the heap costs little.
DELETE FROM {{schema}}.jobs
WHERE id IN (
    (SELECT id FROM {{schema}}.jobs
     WHERE status IN ('Succeeded', 'Failed', 'Canceled') AND completed_at < @finished_before AND notify_at IS NULL
     ORDER BY completed_at, id
     LIMIT @batch_size)
    UNION ALL
    (SELECT id FROM (
         SELECT id, notify_at FROM {{schema}}.jobs
         WHERE status IN ('Succeeded', 'Failed', 'Canceled')
         ORDER BY completed_at DESC, id DESC
         OFFSET @keep_at_most) AS beyond
     WHERE notify_at IS NULL
     LIMIT @batch_size)
);
