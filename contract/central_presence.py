"""Whether the central (not only Mosquitto) is there, from what a device hears of it.

A device's own MQTT connection says nothing of the central: a central that hangs,
restarts or is being upgraded leaves Mosquitto, and so the device's link, up. The
central therefore beats: its worker loop republishes its retained status, `online`,
every `HEARTBEAT_SECONDS` (a hung worker stops beating even where paho's thread still
answers Mosquitto's pings), and its last will says `lost`. A device takes every beat and
every answer as a sign of life; no sign for `STALE_AFTER_SECONDS`, a `lost` or `offline`
status, or a request left unanswered means the central is away.
"""

import datetime as dt
import time
from collections.abc import Callable

HEARTBEAT_SECONDS = 2.0
# Three beats missed: a busy central on a loaded Pi is late, not gone.
STALE_AFTER_SECONDS = 3 * HEARTBEAT_SECONDS


class CentralPresence:
    """What one device knows of the central: there or away, and the central's clock.

    Not thread-safe: one loop (the device's own) feeds and asks it.
    """

    def __init__(
        self,
        *,
        stale_after: float = STALE_AFTER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stale_after = stale_after
        self._monotonic = monotonic
        self._last_sign: float | None = None
        # The central's clock minus this device's, as of the last heartbeat.
        self._offset: dt.timedelta | None = None

    def sign(
        self, central_at: dt.datetime | None = None, local_now: dt.datetime | None = None
    ) -> None:
        """The central did something just now: an answer, or a heartbeat stamped `central_at`
        (read on this device's clock at `local_now`)."""
        self._last_sign = self._monotonic()
        if central_at is not None and local_now is not None:
            self._offset = central_at - local_now

    def away(self) -> None:
        """The central said it stopped, or left a request unanswered."""
        self._last_sign = None

    def there(self) -> bool:
        return (
            self._last_sign is not None and self._monotonic() - self._last_sign <= self._stale_after
        )

    def central_time(self, local_now: dt.datetime) -> dt.datetime | None:
        """This device's `local_now` on the central's clock; None before any heartbeat."""
        return None if self._offset is None else local_now + self._offset
