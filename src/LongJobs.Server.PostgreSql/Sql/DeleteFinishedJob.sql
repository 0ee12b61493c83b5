-- Removes one finished job; a queued or running job stays, and so does a finished job whose notifications are still
-- due (in the outbox). The delete trigger announces it, so its waiters on every node read it again and find it gone,
-- and its idempotency key is free with the row.
DELETE FROM {{schema}}.jobs
WHERE id = @id AND status IN ('Succeeded', 'Failed', 'Canceled') AND notify_at IS NULL;
