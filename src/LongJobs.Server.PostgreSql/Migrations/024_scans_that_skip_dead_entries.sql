-- plan_by_index_scan(): what plan_by_index() rules out, and bitmap scans too, for a statement that reads a range of an
-- index where finished jobs leave dead entries: the recovery of lost nodes' jobs, which reads the running jobs' range of
-- the status index.
--
-- A finish changes the job's status, so it writes a new row version and leaves the old one's entry in the status index,
-- among the running jobs, until vacuum removes it: under a steady stream that is tens of thousands of entries, since
-- autovacuum visits a database at most once a minute by default. A bitmap scan reads each such entry's row from the table
-- every time, and never marks the entry dead; a plain index scan marks the entries whose rows are dead to every
-- transaction, and every later scan, on any node, skips them without reading the table. LoadRun's steady stream (two
-- nodes, 200,000 jobs) had the heartbeat's recovery, which every node runs every five seconds, take 133 ms a call on
-- average and up to 618 ms as the dead entries piled up between two vacuums; with plain index scans, 12 ms and 78 ms.
--
-- Rolling upgrade: additive. Nodes of earlier versions do not call it and plan their statements as before.
CREATE PROCEDURE {{schema}}.plan_by_index_scan() LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),
            set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true);
END;
$$;
