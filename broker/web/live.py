"""Live updates for the web pages: a change counter that server-sent events wait on.

The queue service tells the hub after every change; each open page's event stream
waits on the hub (one thread per stream in waitress) and sends a fresh view when
the version moves, or a heartbeat comment every `HEARTBEAT` seconds so proxies and
phones keep the connection.
"""

import threading
from collections.abc import Callable, Iterator

HEARTBEAT = 15.0


class ChangeHub:
    """A version number that rises with every change, and a way to wait for it."""

    def __init__(self) -> None:
        self.version = 0
        self._changed = threading.Condition()
        self._closed = False

    def changed(self, *_: object) -> None:
        with self._changed:
            self.version += 1
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
