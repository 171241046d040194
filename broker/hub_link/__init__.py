"""The site's link to its region's hub: the central's records, sent until acknowledged.

- `bodies`: a record's body from the central's rows and site (pure).
- `stream`: the stream table of migration 0009, on a SQLite connection of its own.
- `window`: which sequence numbers to send now, from the hub's acknowledgement (pure).
- `sender`: the thread that records settings and device states and sends the records.
"""
