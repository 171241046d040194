-- Bookings (appointments): one row per booking as it stands now, and the history of
-- every change for the reports. The NIK is never kept: only its HMAC under the site's
-- secret (booking-nik.secret beside the database), enough to hold one active booking
-- per NIK, service and day.
CREATE TABLE bookings (
    code          TEXT PRIMARY KEY,
    service       TEXT NOT NULL,
    day           TEXT NOT NULL,
    -- The slot's start, local time "HH:MM" on `day`.
    slot          TEXT NOT NULL,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    nik_hash      TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('web', 'staff', 'import')),
    external_id   TEXT,
    state         TEXT NOT NULL CHECK (state IN ('booked', 'cancelled', 'checked_in', 'no_show')),
    moved_once    INTEGER NOT NULL DEFAULT 0,
    ticket_id     TEXT,
    checked_in_at TEXT,
    -- Checked in past the window and given a walk-in ticket (no place at the slot).
    late          INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- An import sent twice books once.
CREATE UNIQUE INDEX bookings_by_source_id ON bookings (source, external_id);
-- One active booking per NIK, service and day, whatever the web, the staff or an
-- import send at once.
CREATE UNIQUE INDEX bookings_one_active_per_nik ON bookings (nik_hash, service, day)
    WHERE state IN ('booked', 'checked_in');
-- Counting a slot's places, listing a day.
CREATE INDEX bookings_by_slot ON bookings (service, day, slot, state);
CREATE INDEX bookings_by_ticket ON bookings (ticket_id);

-- Append-only: booked, moved, cancelled, checked_in, no_show, with who did it.
CREATE TABLE booking_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    code    TEXT NOT NULL,
    service TEXT NOT NULL,
    day     TEXT NOT NULL,
    slot    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX booking_events_by_day ON booking_events (day, service);

-- A checked-in booking's ticket: the booking's code, and the slot (UTC) that is its
-- place in the queue (NULL for walk-ins and the late).
ALTER TABLE tickets ADD COLUMN booking TEXT;
ALTER TABLE tickets ADD COLUMN slot TEXT;
