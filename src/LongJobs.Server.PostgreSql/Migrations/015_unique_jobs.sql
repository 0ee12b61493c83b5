-- Unique jobs: a kind may make its jobs unique by a key of their request (JobKindOptions.UniqueBy). At most one
-- unfinished job ('Scheduled', 'Queued' or 'Running') of a kind has a given key: the partial unique index is the guard,
-- so concurrent inserts on many nodes add one job (InsertJobs' ON CONFLICT DO NOTHING skips the others, which then read
-- the job that holds the key). A job leaves the index when it finishes, which frees its key.
--
-- The index is on a new column, null in every existing row: building it reads the table once under the migration's
-- lock, and holds no entry for those rows. Status is already in the key or predicate of other indexes, so the updates
-- that change it were not HOT before either.
--
-- Rolling upgrade: nodes of earlier versions neither write nor read the column; their inserts are not deduplicated
-- (they have no key), and a job they start never blocks a key. Upgrade every node before relying on uniqueness.
ALTER TABLE {{schema}}.jobs ADD COLUMN unique_key text;

CREATE UNIQUE INDEX jobs_unique_key_idx ON {{schema}}.jobs (kind, unique_key)
    WHERE unique_key IS NOT NULL AND status IN ('Scheduled', 'Queued', 'Running');
