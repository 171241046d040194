"""Live updates for the web pages: a change counter that server-sent events wait on.

The queue service tells the hub after every change; each open page's event stream
waits on the hub (one thread per stream in waitress) and sends a fresh view when
the version moves, or a heartbeat comment every `HEARTBEAT` seconds so proxies and
phones keep the connection.
"""

import threading
import time
from collections.abc import Callable, Iterator

HEARTBEAT = 15.0


def _microseconds() -> int:
    return time.time_ns() // 1000


class ChangeHub:
    """A version number that rises with every change, and a way to wait for it.

    The version is the API's state `seq`. Like the MQTT state's, it rises across
    restarts too (it starts at the time in microseconds), so a client that ignores a
    state older than the one it holds is not stuck after the central restarts.
    """

    def __init__(self, clock: Callable[[], int] = _microseconds) -> None:
        self._clock = clock
        self.version = clock()
        self._changed = threading.Condition()
        self._closed = False

    def changed(self, *_: object) -> None:
        with self._changed:
            self.version = max(self.version + 1, self._clock())
            self._changed.notify_all()

    def close(self) -> None:
        """Ends every stream (the server is stopping)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_past(self, version: int, timeout: float) -> int:
        """Waits until the version passes `version` (or the timeout); returns the version."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > version or self._closed, timeout)
            return self.version

    @property
    def closed(self) -> bool:
        return self._closed

    def stream(self, render: Callable[[], str], heartbeat: float = HEARTBEAT) -> Iterator[str]:
        """Server-sent events: the rendered view now, then after every change."""
        seen = self.version
        yield _event(render())
        while True:
            now = self.wait_past(seen, heartbeat)
            if self.closed:
                return
            if now == seen:
                yield ": heartbeat\n\n"
                continue
            seen = now
            yield _event(render())


def _event(data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"{lines}\n"
