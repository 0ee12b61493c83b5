-- The earliest due time of the scheduled jobs: the first entry of their index.
SELECT min(not_before) FROM {{schema}}.jobs WHERE status = 'Scheduled';
