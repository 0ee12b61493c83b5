-- Every node's sweeper removes finished jobs; one at a time does the work, and the others find this lock taken. A
-- session lock: it holds across the sweep's batches, each its own transaction.
SELECT pg_try_advisory_lock(@class, hashtext(@lock));
