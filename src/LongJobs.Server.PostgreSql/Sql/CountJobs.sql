-- The overview's counts (IJobStatistics), in one statement that never reads the table whole:
--   * the unfinished jobs by kind and status, at most @count_at_most of each status: one index range per status (a
--     subquery each, its status a constant, so each is planned on an index of that status), read to its limit;
--   * the jobs that finished in [@since, @until), at most @finished_at_most, newest first: a range of the index of
--     finished jobs (jobs_completed_idx), read once (the CTE is used twice, so it is materialized) and counted by kind and
--     status, and by status per @bucket from @since (the throughput chart).
-- An @owner of '' selects the jobs without an owner, as ListJobs. Rows with a NULL bucket are counts by kind.
WITH unfinished AS (
    (SELECT 'Scheduled' AS status, kind FROM {{schema}}.jobs
     WHERE status = 'Scheduled' AND (@owner::text IS NULL OR owner = @owner OR (@owner = '' AND owner IS NULL))
     LIMIT @count_at_most)
    UNION ALL
    (SELECT 'Queued', kind FROM {{schema}}.jobs
     WHERE status = 'Queued' AND (@owner::text IS NULL OR owner = @owner OR (@owner = '' AND owner IS NULL))
     LIMIT @count_at_most)
    UNION ALL
    (SELECT 'Running', kind FROM {{schema}}.jobs
     WHERE status = 'Running' AND (@owner::text IS NULL OR owner = @owner OR (@owner = '' AND owner IS NULL))
     LIMIT @count_at_most)
),
finished AS (
    SELECT status, kind, completed_at
    FROM {{schema}}.jobs
    WHERE status IN ('Succeeded', 'Failed', 'Canceled')
      AND completed_at >= @since AND completed_at < @until
      AND (@owner::text IS NULL OR owner = @owner OR (@owner = '' AND owner IS NULL))
    ORDER BY completed_at DESC, id DESC
    LIMIT @finished_at_most
)
SELECT kind, status, NULL::timestamptz AS bucket, count(*)::integer FROM unfinished GROUP BY kind, status
UNION ALL
SELECT kind, status, NULL::timestamptz, count(*)::integer FROM finished GROUP BY kind, status
UNION ALL
SELECT NULL, status, date_bin(@bucket, completed_at, @since), count(*)::integer FROM finished GROUP BY status, 3;
