-- Priorities: a job's priority (its kind's, or its own) and the time it is claimed by, claim_at: its creation time less
-- a minute per level of priority, written once by the insert and never changed (so no update of it is ever non-HOT). The
-- claim takes the queue in claim_at order: oldest first within a priority, a higher priority ahead of the jobs created
-- up to a minute per level before it, and no job behind later ones forever.
--
-- The new column with a constant default changes no row (PostgreSQL 11+ keeps the default in the catalog); claim_at is
-- null in existing rows, which the claim takes first (they are the oldest). Building the queue's new index reads the
-- table once under the migration's lock, and holds only the queued jobs.
--
-- Rolling upgrade: nodes of earlier versions claim in created_at order (jobs_queue_idx, kept for them) and insert jobs
-- without claim_at, which the new claim takes first: priorities hold among the jobs of upgraded nodes. Upgrade every
-- node, then a later migration may drop jobs_queue_idx.
ALTER TABLE {{schema}}.jobs ADD COLUMN priority integer NOT NULL DEFAULT 0;
ALTER TABLE {{schema}}.jobs ADD COLUMN claim_at timestamptz;

CREATE INDEX jobs_claim_idx ON {{schema}}.jobs (claim_at NULLS FIRST, id) WHERE status = 'Queued' AND request IS NOT NULL;
