-- The queue's state for the current day, and the history of every change.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per ticket ever issued, as it stands now. The id holds the day, so a
-- number can never be given twice on one day, whatever fails.
CREATE TABLE tickets (
    id          TEXT PRIMARY KEY,
    day         TEXT NOT NULL,
    number      TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    service     TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    issued_by   TEXT NOT NULL,
    returned_at TEXT,
    counter     INTEGER,
    called_at   TEXT,
    skipped_at  TEXT,
    closed_at   TEXT,
    recalls     INTEGER NOT NULL
);

CREATE TABLE counters (
    number  INTEGER PRIMARY KEY,
    paused  INTEGER NOT NULL,
    current TEXT,
    cycle   INTEGER NOT NULL
);

-- Append-only: who did what, when, to which ticket and counter.
CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    day       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    ticket_id TEXT,
    number    TEXT,
    service   TEXT,
    state     TEXT,
    counter   INTEGER,
    detail    TEXT NOT NULL
);
