-- Gives back a job that @claimant holds: due again at @next_due_at, for any claimant, or out of the outbox when it is
-- NULL. A job another claimant took since (its lease ran out) is that one's now; a job gone is gone. Like a claim, it
-- changes nothing users see: the version stays.
UPDATE {{schema}}.jobs
SET notify_at = @next_due_at, notify_claimant = NULL, notify_lease_until = NULL
WHERE id = @id AND notify_claimant = @claimant;
