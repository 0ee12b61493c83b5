SELECT pg_advisory_unlock(@class, hashtext(@lock));
