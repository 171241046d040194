"""The queue as the rest of the central sees it: decide, persist, then apply.

The MQTT side and the web console both go through one `QueueService`, so a call
made from either behaves the same. One lock serialises every change: two counters
calling at once are decided one after the other and never get the same ticket.
"""

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from broker.engine.engine import Decision, QueueEngine
from broker.engine.tickets import CounterState, Ticket
from broker.store.sqlite_store import AnsweredRequest, EventRecord, SqliteStore
from contract.clock import system_clock
from contract.hours import service_day
from contract.site import Site

T = TypeVar("T")
Clock = Callable[[], dt.datetime]
Operation = Callable[[QueueEngine, dt.datetime], Decision]


class QueueService:
    """The engine and its store, kept in step."""

    def __init__(self, site: Site, store: SqliteStore, clock: Clock = system_clock) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Decision], None]] = []
        day = store.saved_day()
        if day is None:
            day = service_day(site, clock())
            store.set_day(day)
        # Rebuilt from the saved tickets and counters: exactly the state last acknowledged.
        self.engine = QueueEngine(site, day)
        self.engine.restore(store.tickets_of(day), store.counters())
        self.engine.number_after(self._numbered_after(day))

    def run(
        self,
        operation: Operation,
        now: dt.datetime | None = None,
        *,
        request: str | None = None,
        digest: str = "",
    ) -> Decision:
        """Decides an operation, saves its events, and only then applies them.

        `request` (sender and request id) is saved with the events and `digest` (what it
        asked), so that a repeated request can be answered from `done_by` instead of
        acting twice. Raises `Refused` (nothing changed) or `StoreError` (nothing saved,
        and so nothing applied: the engine still matches the disk).
        """
        with self._lock:
            decision = operation(self.engine, now or self._clock())
            self._store.save(decision.events, request, digest)
            self.engine.apply(decision.events)
        if decision.events:
            for listener in self._listeners:
                listener(decision)
        return decision

    def subscribe(self, listener: Callable[[Decision], None]) -> None:
        """Calls `listener` after every change, whoever made it (MQTT or the web).

        A listener runs on the caller's thread: it must only hand the news on.
        """
        self._listeners.append(listener)

    def refused(self, request: str, digest: str, reason: str, detail: str) -> None:
        """Remembers a refusal of `request`; raises `StoreError` if it cannot."""
        with self._lock:
            self._store.save_refusal(request, digest, reason, detail)

    def answered(self, request: str) -> AnsweredRequest | None:
        """What was decided for `request` before, if anything."""
        with self._lock:
            return self._store.answered(request)

    def done_by(self, request: str) -> list[EventRecord]:
        """The saved events of a request already carried out (empty if it was not)."""
        with self._lock:
            return self._store.events_for_request(request)

    def now(self) -> dt.datetime:
        """The queue's clock (simulated in demos and tests)."""
        return self._clock()

    @property
    def database(self) -> Path:
        """The SQLite file of the queue, for stores that open a connection of their own."""
        return self._store.path

    def setting(self, key: str) -> str | None:
        with self._lock:
            return self._store.setting(key)

    def set_setting(self, key: str, value: str) -> None:
        with self._lock:
            self._store.set_setting(key, value)

    def replace_site(self, site: Site) -> None:
        """Runs the queue on an edited site from the next operation on (a live edit).

        Names, quotas, hours and counters' services may change; the services and the
        counters themselves may not: the engine keeps its lines and counters by prefix
        and number.
        """
        with self._lock:
            current = self.engine.site
            if list(site.services_by_prefix) != list(current.services_by_prefix) or list(
                site.counters_by_number
            ) != list(current.counters_by_number):
                raise ValueError("a live edit cannot add or remove services or counters")
            self.engine.site = site

    def hold_numbering(self) -> None:
        """No number is given (issue and reserve are refused `unavailable`) until
        `resume_numbering`: the central holds it from its start until it has heard what
        the devices and Mosquitto know of today's numbers."""
        with self._lock:
            self.engine.numbering_held = True

    def resume_numbering(self, highest: Mapping[str, int]) -> dict[str, int]:
        """Numbers are given again, after `highest` (by prefix) where that is ahead of
        the saved tickets; kept in the file, so a restart numbers on after it too. The
        services moved, with their new last number."""
        with self._lock:
            moved = self.engine.number_after(highest)
            if moved:
                day = self.engine.day
                kept = self._numbered_after(day) | moved
                self._store.set_setting(_numbered_after_key(day), json.dumps(kept))
            self.engine.numbering_held = False
        return moved

    def _numbered_after(self, day: dt.date) -> dict[str, int]:
        text = self._store.setting(_numbered_after_key(day))
        return {str(prefix): int(seq) for prefix, seq in json.loads(text).items()} if text else {}

    def take_saved(self, tickets: Iterable[Ticket], counters: Iterable[CounterState]) -> None:
        """Takes in tickets and counters as another process saved them: the public pages'
        copy of the queue follows the central's this way (`broker.web.follow`)."""
        with self._lock:
            self.engine.restore(tickets, counters)

    def read(self, query: Callable[[QueueEngine], T]) -> T:
        """Answers a question about the state, consistent with every saved change."""
        with self._lock:
            return query(self.engine)


def _numbered_after_key(day: dt.date) -> str:
    """The setting with a day's numbering floors, learned after a restore."""
    return f"numbered_after {day.isoformat()}"
