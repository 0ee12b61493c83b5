-- Appends the log lines of many jobs in one statement, numbered per job after its last line, and keeps the last
-- @keep_last of each job: of the new lines only those, and the older lines that still fit. The jobs' rows are locked
-- first, in ID order (FOR KEY SHARE: what the foreign key takes anyway; it waits for a finish or a delete of the job,
-- never in a cycle); a job removed meanwhile is not found, and its lines are dropped. The delete does not see the lines
-- this statement inserts (one snapshot), only older ones.
WITH item AS (
    SELECT item.job_id, item.at, item.level, item.attempt, item.message,
           row_number() OVER (PARTITION BY item.job_id ORDER BY item.position) AS job_position,
           count(*) OVER (PARTITION BY item.job_id) AS job_lines
    FROM unnest(@job_ids, @ats, @levels, @attempts, @messages) WITH ORDINALITY
             AS item(job_id, at, level, attempt, message, position)
), locked AS (
    SELECT id AS job_id FROM {{schema}}.jobs WHERE id = ANY(@job_ids) ORDER BY id FOR KEY SHARE
), last AS (
    SELECT locked.job_id, COALESCE((SELECT max(line) FROM {{schema}}.job_log WHERE job_log.job_id = locked.job_id), 0) AS last_line,
           (SELECT max(job_lines) FROM item WHERE item.job_id = locked.job_id) AS job_lines
    FROM locked
), appended AS (
    INSERT INTO {{schema}}.job_log (job_id, line, at, level, attempt, message)
    SELECT item.job_id, last.last_line + item.job_position, item.at, item.level, item.attempt, item.message
    FROM item JOIN last ON last.job_id = item.job_id
    WHERE item.job_lines - item.job_position < @keep_last
    ON CONFLICT DO NOTHING
)
DELETE FROM {{schema}}.job_log AS old
USING last
WHERE old.job_id = last.job_id AND old.line <= last.last_line + last.job_lines - @keep_last;
