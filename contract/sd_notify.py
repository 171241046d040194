"""Telling systemd how a service is doing: readiness, watchdog pings, a status line.

A unit with `Type=notify` is "started" only once the service sends `READY=1`; with
`WatchdogSec=` systemd kills and restarts it when `WATCHDOG=1` stops arriving. systemd
passes the socket to write to in `NOTIFY_SOCKET` (a path, or `@name` for an abstract
socket) and the watchdog period in `WATCHDOG_USEC`. Outside systemd (a laptop, the
tests, `make run`) both are unset and every call here does nothing.

    notifier = Notifier.from_environment()
    watchdog = Watchdog(notifier)
    notifier.ready("serving")
    while running:
        watchdog.ping()   # from the main loop only: a hung loop stops the pings
        ...

The protocol is one datagram of newline-separated `KEY=value` lines (sd_notify(3)); this
is it in pure Python, so no libsystemd binding is needed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends notifications to the service manager; does nothing without an address."""

    def __init__(self, address: str | None, *, watchdog_usec: int | None = None) -> None:
        self.address = address or None
        # systemd's watchdog period, in microseconds; None when there is no watchdog.
        self.watchdog_usec = watchdog_usec if address else None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd set up for this process: `NOTIFY_SOCKET`, `WATCHDOG_USEC`.

        The watchdog is this process's only if `WATCHDOG_PID` is unset or names it.
        """
        env = os.environ if environ is None else environ
        usec: int | None = None
        pid = env.get("WATCHDOG_PID")
        if pid is None or pid == str(os.getpid()):
            try:
                usec = int(env.get("WATCHDOG_USEC", "")) or None
            except ValueError:
                usec = None
        return cls(env.get("NOTIFY_SOCKET"), watchdog_usec=usec)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between pings: half the watchdog period, as sd_watchdog_enabled(3) advises."""
        return self.watchdog_usec / 2_000_000 if self.watchdog_usec else None

    def send(self, *assignments: str) -> bool:
        """Sends `KEY=value` lines in one datagram; False when disabled or it failed.

        Never raises: a service must not stop because its manager went away.
        """
        if self.address is None:
            return False
        message = "\n".join(assignments).encode("utf-8")
        # A socket per message, as libsystemd's sd_notify does: nothing held open between
        # pings (seconds apart), nothing to close.
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, _socket_address(self.address))
        except OSError as e:
            log.warning("cannot notify the service manager at %s: %s", self.address, e)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """The service really works now (connected, listening, painted)."""
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        """A one-line status, shown by `systemctl status`."""
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def watchdog(self) -> bool:
        """One watchdog ping, now (see `Watchdog` for pings at the right pace)."""
        return self.send("WATCHDOG=1")


class Watchdog:
    """Pings the watchdog from a loop, at most once per half period.

    Call `ping()` on every turn of the main loop; it sends only when one is due, so a
    loop turning many times a second costs one clock read per turn.
    """

    def __init__(
        self,
        notifier: Notifier,
        interval: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifier = notifier
        self.interval = interval if interval is not None else notifier.watchdog_interval
        self._clock = clock
        self._next = float("-inf")

    @property
    def enabled(self) -> bool:
        return self.interval is not None and self.notifier.enabled

    def ping(self) -> bool:
        """Sends `WATCHDOG=1` if one is due; True when it was sent."""
        if not self.enabled:
            return False
        now = self._clock()
        if now < self._next:
            return False
        assert self.interval is not None
        self._next = now + self.interval
        return self.notifier.watchdog()


def _socket_address(address: str) -> str | bytes:
    """`@name` is an abstract socket: a name starting with a NUL byte, not a file."""
    if address.startswith("@"):
        return b"\0" + address[1:].encode("utf-8")
    return address
