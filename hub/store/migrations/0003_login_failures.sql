-- Failed logins of the hub's pages, kept in PostgreSQL so every antre-hub-web process
-- brakes password guessing alike; rows older than the window are deleted as new ones come.
CREATE TABLE login_failures (
    address text NOT NULL,
    username text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX login_failures_address ON login_failures (address, at);
