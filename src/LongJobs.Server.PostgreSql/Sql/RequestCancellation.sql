WITH requested AS (
    UPDATE {{schema}}.jobs
    SET cancellation_requested = true, version = version + 1
    WHERE id = @id AND status IN ('Queued', 'Running') AND NOT cancellation_requested
    RETURNING *
)
SELECT * FROM requested
UNION ALL
SELECT * FROM {{schema}}.jobs WHERE id = @id AND NOT EXISTS (SELECT 1 FROM requested);
