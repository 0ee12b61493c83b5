-- Removes one finished job, with its notifications still to deliver if any (an explicit delete; retention keeps such
-- a job); a queued or running job stays. The delete trigger announces it, so its waiters on every node read it again
-- and find it gone, and its idempotency key is free with the row.
DELETE FROM {{schema}}.jobs
WHERE id = @id AND status IN ('Succeeded', 'Failed', 'Canceled');
