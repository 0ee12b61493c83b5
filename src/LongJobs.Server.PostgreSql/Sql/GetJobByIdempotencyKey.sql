SELECT * FROM {{schema}}.jobs WHERE idempotency_key = @idempotency_key;
