"""The hub's PostgreSQL store: schema, ingest of record batches, roll-ups."""
