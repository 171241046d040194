-- Staff accounts for the web console and tokens for the REST API.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'clerk')),
    password_hash TEXT NOT NULL,
    -- The counters a clerk may work at, as a JSON list of numbers.
    counters      TEXT NOT NULL DEFAULT '[]',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created       TEXT NOT NULL
);

-- Only a hash of each token is kept: a copied database gives no working token.
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    label      TEXT NOT NULL,
    created    TEXT NOT NULL
);
