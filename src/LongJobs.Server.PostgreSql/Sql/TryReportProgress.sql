UPDATE {{schema}}.jobs
SET progress = @progress, progress_message = @message, version = version + 1
WHERE id = @id AND status = 'Running' AND attempt = @attempt
RETURNING {{job_columns}};
