INSERT INTO {{schema}}.jobs (id, kind, status, created_at, request)
VALUES (@id, @kind, 'Queued', @created_at, @request)
RETURNING *;
