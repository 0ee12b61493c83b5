-- Reads jobs by ID: the concurrent single reads of one flush in one statement. A job not found is not returned. Found
-- by the primary key whatever the statistics (plan_by_index(), migration 021): on a fresh table, whose statistics say
-- nothing yet, the planner otherwise reads the whole table for an array of IDs.
CALL {{schema}}.plan_by_index();
SELECT {{job_columns}}
FROM {{schema}}.jobs WHERE id = ANY(@ids);
