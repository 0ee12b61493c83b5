-- One batch of finished jobs to remove: those finished before the cutoff, and those beyond the newest @keep_at_most.
DELETE FROM {{schema}}.jobs
WHERE id IN (
    SELECT id FROM {{schema}}.jobs
    WHERE status IN ('Succeeded', 'Failed', 'Canceled') AND completed_at < @finished_before
    UNION
    SELECT id FROM (
        SELECT id FROM {{schema}}.jobs
        WHERE status IN ('Succeeded', 'Failed', 'Canceled')
        ORDER BY completed_at DESC, id DESC
        OFFSET @keep_at_most
    ) AS beyond
    LIMIT @batch_size
);
