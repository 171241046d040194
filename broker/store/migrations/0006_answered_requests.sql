-- Every request decided, by sender and id: a digest of what it asked, so an id reused for
-- another request is told from a repeat, and the refusal it got (NULL when carried out),
-- so a repeat is answered the same without being decided, or alerted on, again.
CREATE TABLE answered_requests (
    request TEXT PRIMARY KEY,
    digest  TEXT NOT NULL,
    refusal TEXT,
    detail  TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL
);
