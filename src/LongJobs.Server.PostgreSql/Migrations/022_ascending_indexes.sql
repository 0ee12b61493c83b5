-- The jobs' indexes in the order their rows arrive: fewer and fuller pages, less WAL a job.
--
-- 1. The lists' indexes and the finished jobs' index were built newest first (created_at DESC, completed_at DESC). New
-- jobs and new finishes then go to the index's leftmost page of their range, where a full page splits in half (the
-- rightmost page of an index, where rising keys arrive in ascending order, splits leaving the old page full): every
-- page was left half empty for good, each split wrote half a page of WAL, and the indexes were twice their size.
-- With this migration, LoadRun's steady stream writes 1,596 bytes of WAL a job instead of 1,890. PostgreSQL reads an
-- index backwards as well as forwards: the lists (newest first) and the retention boundary read these ascending ones
-- backwards, the retention's deletes (oldest first) forwards.
--
-- 2. The running jobs' index (jobs_running_idx, on started_at) is dropped: no statement seeks on started_at, and every
-- statement that reads the running jobs (lost nodes' recovery, the nodes alive, the count of a kind's running jobs
-- limited across nodes, the overview) finds them as one range of jobs_status_created_at_idx. Every job paid an entry in
-- it when it started, and a dead one for vacuum when it ended.
--
-- Each index is built while this migration holds the table (writes wait; reads go on): on a table of millions of jobs
-- that takes seconds an index. Older nodes keep working with these indexes (their statements are the same).
DROP INDEX {{schema}}.jobs_created_at_idx;
CREATE INDEX jobs_created_at_idx ON {{schema}}.jobs (created_at, id);
DROP INDEX {{schema}}.jobs_status_created_at_idx;
CREATE INDEX jobs_status_created_at_idx ON {{schema}}.jobs (status, created_at, id);
DROP INDEX {{schema}}.jobs_kind_created_at_idx;
CREATE INDEX jobs_kind_created_at_idx ON {{schema}}.jobs (kind, created_at, id);
DROP INDEX {{schema}}.jobs_owner_created_at_idx;
CREATE INDEX jobs_owner_created_at_idx ON {{schema}}.jobs (owner, created_at, id);
DROP INDEX {{schema}}.jobs_finished_idx;
CREATE INDEX jobs_finished_idx ON {{schema}}.jobs (completed_at, id) WHERE status IN ('Succeeded', 'Failed', 'Canceled');
DROP INDEX {{schema}}.jobs_running_idx;
