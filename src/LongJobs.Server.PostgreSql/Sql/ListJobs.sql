SELECT *
FROM {{schema}}.jobs
WHERE (@status::text IS NULL OR status = @status)
  AND (@kind::text IS NULL OR kind = @kind)
  AND (@after_created_at::timestamptz IS NULL OR (created_at, id) < (@after_created_at, @after_id))
ORDER BY created_at DESC, id DESC
LIMIT @limit;
