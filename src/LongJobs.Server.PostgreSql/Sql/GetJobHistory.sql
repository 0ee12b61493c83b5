-- A job's history in one statement (one snapshot): the job's running attempt (its status, attempt, start and node),
-- its attempts' rows and its log lines as JSON arrays, and the number of its first kept line; and its end and error, the
-- end of a first attempt that finished the job (FinishJobs writes no row for it). No row: no such job.
SELECT jobs.status, jobs.attempt, jobs.started_at, jobs.node,
       (SELECT json_agg(json_build_object('number', attempt, 'startedAt', started_at, 'endedAt', ended_at, 'node', node,
                                          'outcome', outcome, 'error', error) ORDER BY attempt)
        FROM {{schema}}.job_attempts WHERE job_id = jobs.id) AS attempts,
       (SELECT json_agg(json_build_object('time', at, 'level', level, 'attempt', attempt, 'message', message) ORDER BY line)
        FROM {{schema}}.job_log WHERE job_id = jobs.id) AS log,
       (SELECT min(line) FROM {{schema}}.job_log WHERE job_id = jobs.id) AS first_line,
       jobs.completed_at, jobs.error
FROM {{schema}}.jobs WHERE id = @id;
