-- Replaces the record of one notification channel's delivery; the job's status does not change.
UPDATE {{schema}}.jobs
SET deliveries = COALESCE((SELECT jsonb_agg(delivery) FROM jsonb_array_elements(deliveries) AS delivery
                           WHERE delivery->>'channel' <> @channel), '[]'::jsonb) || jsonb_build_array(@delivery::jsonb),
    version = version + 1
WHERE id = @id
RETURNING id, kind, status, progress, progress_message, created_at, started_at, completed_at,
          request, result, error, cancellation_requested, version, idempotency_key, attempt, max_attempts, notifications, deliveries, owner, trace_parent;
