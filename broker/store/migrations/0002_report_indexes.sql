-- Reports read tickets and events by day; the rebuild reads one day's tickets.
CREATE INDEX tickets_by_day ON tickets (day, state);
CREATE INDEX events_by_day ON events (day, kind);
