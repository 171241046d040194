-- The satisfaction survey (SKM, PermenPAN-RB 14/2017): the counter buttons' presses and
-- the nine-element forms behind the tickets' QR codes. See broker/survey.py.

-- One row per press of a survey unit's button, as the central received it. A press
-- repeated by the unit (same id) is kept once. `mark` says how it counts:
--   counted        tied to `ticket_id`, the ticket its counters finished last
--   already_rated  that ticket had its press already: kept, never counted twice
--   no_ticket      no ticket finished at its counters within the unit's window
CREATE TABLE survey_presses (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    unit      TEXT NOT NULL,
    press_id  TEXT NOT NULL,
    at        TEXT NOT NULL,
    day       TEXT NOT NULL,
    rating    INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    mark      TEXT NOT NULL CHECK (mark IN ('counted', 'already_rated', 'no_ticket')),
    ticket_id TEXT,
    counter   INTEGER,
    service   TEXT,
    agency    TEXT,
    UNIQUE (unit, press_id)
);
-- One counted press per ticket, whatever the code above does.
CREATE UNIQUE INDEX survey_presses_one_per_ticket ON survey_presses (ticket_id)
    WHERE mark = 'counted';
CREATE INDEX survey_presses_by_day ON survey_presses (day);

-- One nine-element response per ticket (the ticket id is the key), ratings 1 to 4 in the
-- regulation's element order U1..U9; service, agency and counter as the ticket ended.
CREATE TABLE survey_responses (
    ticket_id TEXT PRIMARY KEY,
    day       TEXT NOT NULL,
    at        TEXT NOT NULL,
    service   TEXT NOT NULL,
    agency    TEXT NOT NULL,
    counter   INTEGER,
    u1        INTEGER NOT NULL CHECK (u1 BETWEEN 1 AND 4),
    u2        INTEGER NOT NULL CHECK (u2 BETWEEN 1 AND 4),
    u3        INTEGER NOT NULL CHECK (u3 BETWEEN 1 AND 4),
    u4        INTEGER NOT NULL CHECK (u4 BETWEEN 1 AND 4),
    u5        INTEGER NOT NULL CHECK (u5 BETWEEN 1 AND 4),
    u6        INTEGER NOT NULL CHECK (u6 BETWEEN 1 AND 4),
    u7        INTEGER NOT NULL CHECK (u7 BETWEEN 1 AND 4),
    u8        INTEGER NOT NULL CHECK (u8 BETWEEN 1 AND 4),
    u9        INTEGER NOT NULL CHECK (u9 BETWEEN 1 AND 4)
);
CREATE INDEX survey_responses_by_day ON survey_responses (day);
