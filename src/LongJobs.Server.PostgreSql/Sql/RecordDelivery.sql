-- Replaces the record of one notification channel's delivery; the job's status does not change.
UPDATE {{schema}}.jobs
SET deliveries = COALESCE((SELECT jsonb_agg(delivery) FROM jsonb_array_elements(deliveries) AS delivery
                           WHERE delivery->>'channel' <> @channel), '[]'::jsonb) || jsonb_build_array(@delivery::jsonb),
    version = version + 1
WHERE id = @id
RETURNING {{job_columns}};
