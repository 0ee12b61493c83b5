-- Whether the queue holds @count_at_most jobs: counting stops there.
SELECT count(*)::integer FROM (
    SELECT 1 FROM {{schema}}.jobs WHERE status = 'Queued' LIMIT @count_at_most
) AS queued;
