-- A queue event carries its ticket's booked slot as it stood after it (NULL for a walk-in),
-- for the hub's stream: a booked citizen's wait counts from the slot, not from issue.
ALTER TABLE events ADD COLUMN slot TEXT;
-- History from before this migration: the ticket's last slot is all there is.
UPDATE events SET slot = (SELECT slot FROM tickets WHERE tickets.id = events.ticket_id)
    WHERE ticket_id IS NOT NULL;
