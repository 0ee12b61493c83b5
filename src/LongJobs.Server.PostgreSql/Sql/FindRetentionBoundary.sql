-- The newest finished job beyond the newest @keep_at_most: retention removes it and every older one. Found once per
-- sweep, not per batch, and in the index of finished jobs alone (an index-only scan of @keep_at_most entries, which
-- reads no table rows once vacuum has marked their pages all-visible). No row when no more jobs than that are finished.
SELECT completed_at, id FROM {{schema}}.jobs
WHERE status IN ('Succeeded', 'Failed', 'Canceled')
ORDER BY completed_at DESC, id DESC
OFFSET @keep_at_most
LIMIT 1;
