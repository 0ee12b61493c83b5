-- The queue's plans.
--
-- 1. plan_by_index(): the claim and the batched finish call it first, in their own transaction (the statements of one
-- command run as one). It rules out sorts and sequential scans for the rest of that transaction, so that the claim walks
-- jobs_claim_idx in order and stops at its limit, and both find their rows by the primary key, however stale the table's
-- statistics or the plan PostgreSQL cached for the prepared statement: on a fresh table, or one last analysed while the
-- queue was empty, both otherwise read the whole queue or table each time (StaleStatisticsPlanTests). JIT is turned off
-- with them, as their penalty costs would push the change triggers' small queries over jit_above_cost. A procedure
-- rather than SET LOCAL, which is refused outside an explicit transaction block; and rather than DO, whose body would be
-- compiled on every call.
CREATE PROCEDURE {{schema}}.plan_by_index() LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('enable_sort', 'off', true);
    PERFORM set_config('enable_seqscan', 'off', true);
    PERFORM set_config('jit', 'off', true);
END;
$$;

-- 2. The queue's index by creation time, jobs_queue_idx, kept since migration 017 only for nodes older than it (they
-- claim in created_at order): every claimable job paid an entry in it on its insert, and another dead one for vacuum to
-- clean after its claim, for an index no current statement reads: the claim and the queue's count use jobs_claim_idx,
-- which holds the same rows.
--
-- Rolling upgrade: stop every node older than migration 017 first (they still claim without this index, but by reading
-- the whole queue on every claim). Older nodes from 017 on never call plan_by_index().
DROP INDEX IF EXISTS {{schema}}.jobs_queue_idx;
