-- The W3C trace context of the activity that started a job: every run's activity links to it, on any node.
ALTER TABLE {{schema}}.jobs ADD COLUMN trace_parent text;
