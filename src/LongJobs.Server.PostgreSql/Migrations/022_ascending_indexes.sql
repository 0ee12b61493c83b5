-- The jobs' indexes in the order their rows arrive: fewer and fuller pages, less WAL a job.
--
-- 1. The lists' indexes and the finished jobs' index were built newest first (created_at DESC, completed_at DESC). New
-- jobs and new finishes then go to the index's leftmost page of their range, where a full page splits in half (the
-- rightmost page of an index, where rising keys arrive in ascending order, splits leaving the old page full): pages
-- were left half empty for good, and each split wrote half a page of WAL. For 200,000 jobs started 16 at a time, the
-- index on (created_at, id) takes 6 MB ascending and 11 MB descending (those led by kind or owner, whose ranges
-- interleave, gain less: 13 MB against 14). With this migration, LoadRun's steady stream writes 1,596 bytes of WAL a
-- job instead of 1,890. PostgreSQL reads an
-- index backwards as well as forwards: the lists (newest first) and the retention boundary read these ascending ones
-- backwards, the retention's deletes (oldest first) forwards.
--
-- 2. The running jobs' index (jobs_running_idx, on started_at) is dropped: no statement seeks on started_at, and every
-- statement that reads the running jobs (lost nodes' recovery, the nodes alive, the count of a kind's running jobs
-- limited across nodes, the overview) finds them as one range of jobs_status_created_idx. Every job paid an entry in
-- it when it started, and a dead one for vacuum when it ended.
--
-- Upgrading a large table: each index is built here while the migration holds the table's writes (reads go on): for
-- 2 million jobs, 1 to 4 seconds an index and 13 in all on a 2-core machine. To upgrade without that pause, build the five new indexes beforehand,
-- while the nodes run, with CREATE INDEX CONCURRENTLY and the same names and definitions (the PostgreSQL README has the
-- statements): this migration then keeps them and only drops the old ones. One that a failed concurrent build left
-- invalid is built again. Older nodes keep working with the new indexes (their statements are the same).
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['jobs_created_idx', 'jobs_status_created_idx', 'jobs_kind_created_idx', 'jobs_owner_created_idx', 'jobs_completed_idx'] LOOP
        IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass(format('%s.%I', '{{schema}}', name)) AND NOT indisvalid) THEN
            EXECUTE format('DROP INDEX %s.%I', '{{schema}}', name);
        END IF;
    END LOOP;
END
$$;
CREATE INDEX IF NOT EXISTS jobs_created_idx ON {{schema}}.jobs (created_at, id);
CREATE INDEX IF NOT EXISTS jobs_status_created_idx ON {{schema}}.jobs (status, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_kind_created_idx ON {{schema}}.jobs (kind, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_owner_created_idx ON {{schema}}.jobs (owner, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_completed_idx ON {{schema}}.jobs (completed_at, id) WHERE status IN ('Succeeded', 'Failed', 'Canceled');
DROP INDEX {{schema}}.jobs_created_at_idx;
DROP INDEX {{schema}}.jobs_status_created_at_idx;
DROP INDEX {{schema}}.jobs_kind_created_at_idx;
DROP INDEX {{schema}}.jobs_owner_created_at_idx;
DROP INDEX {{schema}}.jobs_finished_idx;
DROP INDEX {{schema}}.jobs_running_idx;
