SELECT {{job_columns}}
FROM {{schema}}.jobs WHERE id = @id;
