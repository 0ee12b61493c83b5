-- One batch of finished jobs to remove: the oldest of those finished before the cutoff, and of those beyond the
-- newest @keep_at_most. Each branch stops at @batch_size rows, so a large backlog is never sorted whole.
DELETE FROM {{schema}}.jobs
WHERE id IN (
    (SELECT id FROM {{schema}}.jobs
     WHERE status IN ('Succeeded', 'Failed', 'Canceled') AND completed_at < @finished_before
     ORDER BY completed_at, id
     LIMIT @batch_size)
    UNION ALL
    (SELECT id FROM {{schema}}.jobs
     WHERE status IN ('Succeeded', 'Failed', 'Canceled')
     ORDER BY completed_at DESC, id DESC
     OFFSET @keep_at_most
     LIMIT @batch_size)
);
