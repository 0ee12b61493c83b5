-- The unfinished job of a kind that holds a unique key: the predicate is the unique index's, so the index answers it.
SELECT {{job_columns}}
FROM {{schema}}.jobs
WHERE kind = @kind AND unique_key = @unique_key AND unique_key IS NOT NULL AND status IN ('Scheduled', 'Queued', 'Running');
