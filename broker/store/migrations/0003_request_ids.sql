-- The request (sender and producer-made id) that caused each event, so a repeated
-- request is answered from what it did the first time and never acts twice.
ALTER TABLE events ADD COLUMN request TEXT;
CREATE INDEX events_by_request ON events (request) WHERE request IS NOT NULL;
