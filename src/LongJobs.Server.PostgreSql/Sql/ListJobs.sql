-- A page of jobs without their requests and results, which can be large and which a list does not show. An @owner
-- of '' selects the jobs without an owner (an owner is never empty). Only finished jobs have a completion time: saying
-- so lets the planner find the recently finished ones in the index of finished jobs, where a recent @completed_after
-- (an event stream catching up) would otherwise read every job, newest first, for the few that match. A creation range
-- (@created_after inclusive, @created_before exclusive) bounds the walk down the created_at order.
SELECT {{job_list_columns}}
FROM {{schema}}.jobs
WHERE (@status::text IS NULL OR status = @status)
  AND (@kind::text IS NULL OR kind = @kind)
  AND (@owner::text IS NULL OR owner = @owner OR (@owner = '' AND owner IS NULL))
  AND (@completed_after::timestamptz IS NULL OR (completed_at >= @completed_after AND status IN ('Succeeded', 'Failed', 'Canceled')))
  AND (@created_after::timestamptz IS NULL OR created_at >= @created_after)
  AND (@created_before::timestamptz IS NULL OR created_at < @created_before)
  AND (@after_created_at::timestamptz IS NULL OR (created_at, id) < (@after_created_at, @after_id))
ORDER BY created_at DESC, id DESC
LIMIT @limit;
