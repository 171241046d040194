"""What the web console works with: the same queue service as the MQTT side."""

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app

from broker.bookings.desk import BookingDesk
from broker.queue_service import QueueService
from broker.ticket_links import TicketLinks
from broker.web.accounts import Accounts
from broker.web.live import ChangeHub
from contract.messages import DeviceStatus
from contract.site import Site

T = TypeVar("T")


@dataclass
class WebContext:
    """The central's parts the web pages use; built once, shared by every request."""

    site: Site
    queue: QueueService
    # None where only the citizens' pages are served (`broker.web.public_main`).
    staff_accounts: Accounts | None
    hub: ChangeHub
    # The SQLite file, for reports (read-only connections of their own).
    database: Path
    # The latest retained status of each device, by device id (the central keeps it).
    devices: dict[str, DeviceStatus] = field(default_factory=dict)
    # The scrolling line on the displays, and how to publish a new one.
    notice: str = ""
    set_notice: Callable[[str], None] = lambda text: None
    # The ticket pages' tokens; None: the central has no public pages.
    links: TicketLinks | None = None
    # A live edit of the site: hands the new site to the other holders (the central's
    # worker); the web console itself swaps `site` and the queue's. And the site as
    # the file says, before the saved edits (None: `site` as first given).
    replace_site: Callable[[Site], None] = lambda site: None
    file_site: Site | None = None
    # The booking desk (public booking pages, the help desk, imports); None: no bookings.
    bookings: BookingDesk | None = None
    # Where the queue is a follower's copy (`broker.web.follow`): brings it up to date now,
    # True if it moved. A page asks when a ticket is not found: printed a moment ago?
    catch_up: Callable[[], bool] = lambda: False
    # What `per_change` keeps: (the hub's version, the value) by key.
    _per_change: dict[str, tuple[int, Any]] = field(default_factory=dict)
    # The version a thread's `one_reading` holds it to (unset: the latest).
    _pinned: threading.local = field(default_factory=threading.local)

    def __post_init__(self) -> None:
        if self.staff_accounts is not None:
            # An account's change is a change of the live pages too: the consoles open
            # under a session it ended close now, not at the next call.
            self.staff_accounts.watch(self.hub.changed)

    @property
    def accounts(self) -> Accounts:
        """The staff accounts; only staff pages ask, and the public pages' app has none."""
        if self.staff_accounts is None:
            raise RuntimeError("the citizens' pages have no staff accounts")
        return self.staff_accounts

    def per_change(self, key: str, compute: Callable[[], T]) -> T:
        """What `compute()` gives, computed once per change of the queue and shared by
        every page that asks: after a call, hundreds of live pages want the same reading."""
        # Read first: a change during `compute` is seen next time.
        wanted: int = getattr(self._pinned, "version", None) or self.hub.version
        cached = self._per_change.get(key)
        if cached is not None and cached[0] >= wanted:
            value: T = cached[1]
            return value
        value = compute()
        self._per_change[key] = (wanted, value)
        return value

    @contextlib.contextmanager
    def one_reading(self) -> Iterator[None]:
        """Within it, this thread's `per_change` values are of one version of the queue
        (the one as it starts, or newer): rendering a hall of pages takes long enough for
        calls to come meanwhile, and each would otherwise read the whole queue again."""
        self._pinned.version = self.hub.version
        try:
            yield
        finally:
            del self._pinned.version


def context() -> WebContext:
    found: WebContext = current_app.extensions["antre"]
    return found
