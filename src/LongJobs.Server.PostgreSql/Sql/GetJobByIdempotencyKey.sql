-- Keys belong to their owner; jobs without an owner share one key space.
SELECT {{job_columns}}
FROM {{schema}}.jobs WHERE idempotency_key = @idempotency_key AND owner IS NOT DISTINCT FROM @owner;
