-- The hub's store: every site's records once, the events by month, and the roll-ups the
-- pages read (maintained in the transaction that inserts a record, never recomputed).

CREATE TABLE sites (
    id text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    timezone text NOT NULL DEFAULT '',
    settings jsonb,
    -- The seq of the settings held: an older one arriving late does not replace them.
    settings_seq bigint NOT NULL DEFAULT 0,
    last_seen timestamptz,
    -- The highest seq held with no gap below it: what the hub acknowledges.
    acked_up_to bigint NOT NULL DEFAULT 0
);

-- Each (site, seq) once: a resent record hits the key and changes nothing.
CREATE TABLE records (
    site text NOT NULL REFERENCES sites (id),
    seq bigint NOT NULL,
    type text NOT NULL,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site, seq)
);

-- Partitions per month are created on demand by the ingest (hub/store/partitions.py).
CREATE TABLE queue_events (
    site text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    day date NOT NULL,
    kind text NOT NULL,
    actor text NOT NULL,
    ticket_id text,
    number text,
    service text,
    state text,
    counter integer,
    detail text NOT NULL DEFAULT '',
    priority boolean NOT NULL DEFAULT false,
    issued_at timestamptz,
    called_at timestamptz,
    slot text,
    PRIMARY KEY (site, seq, at)
) PARTITION BY RANGE (at);

CREATE TABLE survey_presses (
    site text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    day date NOT NULL,
    unit text NOT NULL,
    rating smallint NOT NULL,
    mark text NOT NULL,
    ticket_id text,
    counter integer,
    service text,
    agency text,
    PRIMARY KEY (site, seq)
);

CREATE TABLE survey_responses (
    site text NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    day date NOT NULL,
    ticket_id text NOT NULL,
    service text NOT NULL,
    agency text NOT NULL,
    counter integer,
    ratings smallint[] NOT NULL,
    PRIMARY KEY (site, seq)
);

-- The latest device states of a site (the record with the highest seq wins).
CREATE TABLE device_states (
    site text PRIMARY KEY,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    devices jsonb NOT NULL,
    lost integer NOT NULL
);

-- Roll-up: what happened per site, day, service and local hour.
CREATE TABLE service_hours (
    site text NOT NULL,
    day date NOT NULL,
    service text NOT NULL,
    hour smallint NOT NULL,
    issued integer NOT NULL DEFAULT 0,
    called integer NOT NULL DEFAULT 0,
    served integer NOT NULL DEFAULT 0,
    no_shows integer NOT NULL DEFAULT 0,
    wait_seconds bigint NOT NULL DEFAULT 0,
    waits integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, service, hour)
);
CREATE INDEX service_hours_day ON service_hours (day, site);

-- Roll-up: how many waited each whole minute (capped), per site, day and service: the
-- median and the 90th percentile of any period come from these counts.
CREATE TABLE wait_minutes (
    site text NOT NULL,
    day date NOT NULL,
    service text NOT NULL,
    minute integer NOT NULL,
    count integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, service, minute)
);
CREATE INDEX wait_minutes_day ON wait_minutes (day, site);

-- Roll-up: the nine elements' rating sums per site, agency, service and day (IKM).
CREATE TABLE ikm_days (
    site text NOT NULL,
    day date NOT NULL,
    agency text NOT NULL,
    service text NOT NULL,
    respondents integer NOT NULL DEFAULT 0,
    sums integer[] NOT NULL DEFAULT '{0,0,0,0,0,0,0,0,0}',
    PRIMARY KEY (site, day, agency, service)
);

-- Current state: each ticket's latest state (by seq), so "waiting now" follows it.
CREATE TABLE ticket_now (
    site text NOT NULL,
    day date NOT NULL,
    ticket_id text NOT NULL,
    service text NOT NULL,
    state text NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (site, day, ticket_id)
);

-- Current state: tickets waiting per site, service and day, kept from ticket_now.
CREATE TABLE waiting_now (
    site text NOT NULL,
    day date NOT NULL,
    service text NOT NULL,
    waiting integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, service)
);

-- Current state: each counter's latest pause or call of the day.
CREATE TABLE counter_now (
    site text NOT NULL,
    day date NOT NULL,
    counter integer NOT NULL,
    open boolean NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (site, day, counter)
);
