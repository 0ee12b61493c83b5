-- Reads jobs by ID: the concurrent single reads of one flush in one statement. A job not found is not returned.
SELECT {{job_columns}}
FROM {{schema}}.jobs WHERE id = ANY(@ids);
