"""Live updates for the web pages: a change counter that server-sent events wait on.

The queue service tells the hub after every change. Served by `broker.web.serve`, an
open page's event stream is a task of the server's event loop (`broker.web.live_feeds`),
woken through `watch`: no thread is held per page. Under any other WSGI server (and the
Flask test client) `stream` serves the same events from the request's own thread. Either
sends a fresh view when the version moves, or a heartbeat comment every `HEARTBEAT`
seconds so proxies and phones keep the connection; and ends with `ENDED_EVENT` when a
render finds that its viewer may no longer see it (`FeedEnded`).
"""

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, request

HEARTBEAT = 15.0
# The last event of a stream whose viewer may no longer see it (a staff session that
# ended): the page's script goes to the login page instead of reconnecting.
ENDED_EVENT = "event: ended\ndata: \n\n"


class FeedEnded(Exception):
    """Raised by a render: the viewer may no longer see this feed, and its stream ends."""


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
        self._watchers: list[Callable[[], None]] = []

    def changed(self, *_: object) -> None:
        with self._changed:
            self.version = max(self.version + 1, self._clock())
            self._changed.notify_all()
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher()

    def close(self) -> None:
        """Ends every stream (the server is stopping)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher()

    def watch(self, watcher: Callable[[], None]) -> None:
        """Calls `watcher` after every change and at close, on the changer's thread: it
        must only hand the news on (e.g. to an event loop)."""
        with self._changed:
            self._watchers.append(watcher)

    def unwatch(self, watcher: Callable[[], None]) -> None:
        with self._changed:
            self._watchers.remove(watcher)

    def wait_past(self, version: int, timeout: float) -> int:
        """Waits until the version passes `version` (or the timeout); returns the version."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > version or self._closed, timeout)
            return self.version

    @property
    def closed(self) -> bool:
        return self._closed

    def stream(
        self, render: Callable[[], str | None], heartbeat: float = HEARTBEAT
    ) -> Iterator[str]:
        """Server-sent events: the rendered view now, then after every change (a render
        of None sends nothing)."""
        seen = self.version
        try:
            first = render()
            if first is not None:
                yield sse_event(first)
            while True:
                now = self.wait_past(seen, heartbeat)
                if self.closed:
                    return
                if now == seen:
                    yield ": heartbeat\n\n"
                    continue
                seen = now
                data = render()
                if data is not None:
                    yield sse_event(data)
        except FeedEnded:
            yield ENDED_EVENT


# The response header by which a route hands its event stream to the server's loop, and
# the request header by which that server says it takes them (`broker.web.live_feeds`).
LIVE_HEADER = "X-Antre-Live"
FEEDS_HEADER = "X-Antre-Live-Feeds"

# A feed's views: from the feed's arguments, a render of its view (None: no such feed).
FeedMaker = Callable[[Any, list[str]], Callable[[], str | None] | None]
FEEDS = "antre.feeds"


def add_feed(app: Flask, kind: str, make: FeedMaker) -> None:
    """Feeds named "`kind` arg ..." are rendered by `make(web_context, args)`."""
    app.extensions.setdefault(FEEDS, {})[kind] = make


def live_response(feed: str, stream: Callable[[], Iterator[str]]) -> Response:
    """An event-stream response: handed to the server's event loop as feed `feed` when
    it serves feeds (see `broker.web.live_feeds`), else streamed from this thread."""
    if request.headers.get(FEEDS_HEADER):
        return Response(status=200, headers={LIVE_HEADER: feed})
    response = Response(stream(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def sse_event(data: str) -> str:
    """One server-sent event carrying `data` (a line of its own per line of it)."""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"{lines}\n"
