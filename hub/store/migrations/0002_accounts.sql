-- The hub's web accounts: a region's administrators see every site, a site's head only
-- their own (site set).
CREATE TABLE accounts (
    id serial PRIMARY KEY,
    username text NOT NULL UNIQUE,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('region', 'site_head')),
    site text,
    password_hash text NOT NULL,
    -- Raised by a logout: every session from before it ends.
    session_epoch integer NOT NULL DEFAULT 0,
    CHECK ((role = 'site_head') = (site IS NOT NULL))
);
