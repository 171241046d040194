"""The queue as the central saved it, read by another process: the citizens' pages.

The public pages run in a process of their own (`broker.web.public_main`), so a hall of
phones never costs the clerks' posts any time of the central's interpreter. They read
what the central saved: `QueueFollower` builds the queue from the SQLite file as the
central itself does after a restart, then, whenever SQLite's `PRAGMA data_version` says
another connection committed, takes in the tickets that the events since changed. That
pragma reads no data, so asking it a few times a second is free. (Building the whole
queue again took ~150 ms for 3,000 tickets here: twice a second all day on a Pi, too
much.) A new day or a manager's live edit of the site builds it whole again.
"""

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from broker.queue_service import Clock, QueueService
from broker.site_overrides import SETTING as SITE_OVERRIDES
from broker.site_overrides import site_at_start
from broker.store.connection import open_connection
from broker.store.sqlite_store import SqliteStore
from contract.site import Site

log = logging.getLogger(__name__)

# How often the file is asked whether it changed: a call reaches the open ticket pages
# within this, plus the pages' own round (`broker.web.live_feeds.ROUND_SECONDS`).
POLL_SECONDS = 0.5


class QueueFollower:
    """Today's queue and the site (with the managers' live edits), as last saved."""

    def __init__(self, file_site: Site, database: Path, clock: Clock) -> None:
        self._file_site = file_site
        self._clock = clock
        self._store = SqliteStore(database)
        # A connection of its own: `data_version` moves only for other connections' commits.
        self._probe = open_connection(database)
        self._lock = threading.Lock()
        self._overrides: str | None = None
        self._last_event = 0
        self.site = file_site
        self._seen = self._data_version()
        self.queue = self._build(self._store.setting(SITE_OVERRIDES))

    def catch_up(self) -> bool:
        """Takes in what was saved since it last looked; True if anything was.

        Asked by a poll, and by a page that does not find its ticket: one printed a moment
        ago must not get "not found" because the poll has not come round yet."""
        with self._lock:
            version = self._data_version()
            if version == self._seen:
                return False
            self._seen = version
            day = self._store.saved_day()
            overrides = self._store.setting(SITE_OVERRIDES)
            if day != self.queue.engine.day or overrides != self._overrides:
                self.queue = self._build(overrides)
                return True
            tickets, self._last_event = self._store.tickets_changed_after(self._last_event, day)
            self.queue.take_saved(tickets, self._store.counters())
            return True

    def close(self) -> None:
        with self._lock:
            self._probe.close()
            self._store.close()

    def _build(self, overrides: str | None) -> QueueService:
        """The whole queue, on the file's site with the saved `overrides` on top."""
        # Read first: what is saved while the queue is built is taken in again next time
        # (taking a ticket in twice changes nothing).
        self._last_event = self._store.last_event_id()
        if overrides != self._overrides:
            self._overrides = overrides
            self.site = site_at_start(self._file_site, overrides)
        return QueueService(self.site, self._store, self._clock)

    def _data_version(self) -> int:
        version: int = self._probe.execute("PRAGMA data_version").fetchone()[0]
        return version


class Poller:
    """Calls `catch_up` every `interval` seconds, in a thread."""

    def __init__(self, catch_up: Callable[[], object], interval: float = POLL_SECONDS) -> None:
        self._catch_up = catch_up
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="follow", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._catch_up()
            except Exception:  # a locked or vanished file now: try again at the next poll
                log.exception("could not read the queue from the database")
