-- The jobs table under constant churn: every job is inserted, updated several times while it runs, and deleted by
-- retention, so a table of millions of rows turns over all the time. This keeps its frequent updates HOT (heap-only:
-- the new row version stays on its page and no index gets a new entry) and has autovacuum keep pace with the churn.
--
-- Which updates can be HOT: an update is HOT when it changes no indexed column (a column of an index's key or of a
-- partial index's predicate: id, kind, status, created_at, completed_at, owner, idempotency_key, request, notify_at,
-- and, before this migration, lease_expires_at) and the page has room for the new version.
--   HOT:     progress (progress, progress_message), the next attempt of a transient failure (attempt, progress),
--            a cancel request of a running job (cancellation_requested), a delivery record (deliveries), an outbox
--            claim (notify_claimant, notify_lease_until), and, from this migration on, lease renewal (lease_expires_at,
--            heartbeat_at): the heartbeat of every running job, the most frequent update of all.
--   Not HOT: claim and start, finish, requeue, recovery of a lost node's job and the cancel of a queued job (all change
--            status, which several indexes hold), and an outbox release (notify_at, which the outbox index holds).
--            These happen a few times in a job's life.

-- Lease renewal changed lease_expires_at, the key of both lease indexes, so every heartbeat of every running job
-- added an entry to each of the table's ten indexes. Recovery never seeks on that key for running jobs (its condition,
-- COALESCE(lease_expires_at, started_at + grace), is no index condition): it reads all running jobs through the partial
-- index, whatever the key. The keys are now columns that a renewal leaves alone; the partial predicates, which are what
-- recovery uses, are unchanged. Ad-hoc jobs waiting in a node's queue are few: their lease is a filter now.
DROP INDEX {{schema}}.jobs_running_lease_idx;
CREATE INDEX jobs_running_idx ON {{schema}}.jobs (started_at) WHERE status = 'Running';
DROP INDEX {{schema}}.jobs_queued_ad_hoc_lease_idx;
CREATE INDEX jobs_queued_ad_hoc_idx ON {{schema}}.jobs (created_at) WHERE status = 'Queued' AND request IS NULL;

-- fillfactor 85: inserts leave 15% of each page free, so the updates of the jobs on a page (all recent, all churning
-- together) find room for their new versions there, and a page prune reclaims the old ones without a vacuum. 85 rather
-- than 70: most rows are finished jobs that are rarely updated again, and every point lower costs their pages room.
-- It applies to pages filled from now on; existing pages are left as they are (a rewrite would lock the table).
--
-- autovacuum_vacuum_scale_factor 0.02 (default 0.2): at a million rows, vacuum after 20,000 dead versions rather than
-- 200,000, so retention's deletes and non-HOT updates are cleaned up while their pages are still in memory, and the
-- indexes do not bloat between runs.
-- autovacuum_vacuum_insert_scale_factor 0.02 (default 0.2): inserts alone also trigger a vacuum, which marks pages
-- all-visible (the visibility map), so retention's index-only scans of the finished jobs skip the heap.
-- autovacuum_analyze_scale_factor 0.01 (default 0.1): fresh statistics after 1% of the rows changed, 10,000 at a
-- million: the queue and the running jobs are a sliver of the table whose size moves fast, and the planner picks the
-- partial indexes by how few rows it expects there.
ALTER TABLE {{schema}}.jobs SET (
    fillfactor = 85,
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.01
);
