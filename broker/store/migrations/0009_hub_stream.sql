-- The site's stream to its region's hub (contract/hub_stream.py, broker/hub_link/): every
-- fact the hub is told of gets a gapless sequence number, `seq`, in the same transaction
-- as the fact itself. AUTOINCREMENT's counter is rolled back with a failed transaction,
-- and SQLite commits one writer at a time, so `seq` has no gap and rises in commit order.

-- A queue event carries its ticket's priority and times as they stood after it: the
-- ticket row is overwritten by later events, the stream must not read the later values.
ALTER TABLE events ADD COLUMN priority INTEGER;
ALTER TABLE events ADD COLUMN issued_at TEXT;
ALTER TABLE events ADD COLUMN called_at TEXT;
-- History from before this migration: the ticket's last values are all there is.
UPDATE events SET
    priority = (SELECT priority FROM tickets WHERE tickets.id = events.ticket_id),
    issued_at = (SELECT issued_at FROM tickets WHERE tickets.id = events.ticket_id),
    called_at = (SELECT called_at FROM tickets WHERE tickets.id = events.ticket_id)
    WHERE ticket_id IS NOT NULL;

-- One row per record: a row of `events`, `survey_presses` or `survey_responses` (by its
-- rowid), or a settings or device-state record whose body (JSON) is kept here whole.
CREATE TABLE hub_stream (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL
        CHECK (source IN ('event', 'survey_press', 'survey_response', 'settings', 'devices')),
    row_id INTEGER,
    body   TEXT,
    CHECK ((row_id IS NULL) = (body IS NOT NULL))
);

-- The history so far joins the stream, so a site that joins a hub sends its past too:
-- the events in their order, then the presses, then the responses.
INSERT INTO hub_stream (source, row_id) SELECT 'event', id FROM events ORDER BY id;
INSERT INTO hub_stream (source, row_id) SELECT 'survey_press', id FROM survey_presses ORDER BY id;
INSERT INTO hub_stream (source, row_id)
    SELECT 'survey_response', rowid FROM survey_responses ORDER BY at, rowid;

-- From now on, every writer's row joins the stream in its own transaction, with no change
-- to the writers.
CREATE TRIGGER hub_stream_events AFTER INSERT ON events
BEGIN
    INSERT INTO hub_stream (source, row_id) VALUES ('event', NEW.id);
END;

CREATE TRIGGER hub_stream_survey_presses AFTER INSERT ON survey_presses
BEGIN
    INSERT INTO hub_stream (source, row_id) VALUES ('survey_press', NEW.id);
END;

CREATE TRIGGER hub_stream_survey_responses AFTER INSERT ON survey_responses
BEGIN
    INSERT INTO hub_stream (source, row_id) VALUES ('survey_response', NEW.rowid);
END;
