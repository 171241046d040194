"""The web console behind an event loop: live pages cost no thread, stale posts are dropped.

`LiveApp` is the ASGI application `broker.web.serve` runs. Every request goes to Flask
(through a2wsgi's bounded pool of threads), which decides as always who may see what.
An event-stream route (a ticket page, a counter console) answers there at once with a
`X-Antre-Live` header naming the feed instead of streaming from its thread; `LiveApp`
then keeps that connection itself, as a task of the event loop that wakes when the
queue changes (`ChangeHub.watch`). So a hall of 2,000 open ticket pages holds 2,000
sockets and no threads, and the clerks' posts never wait behind them.

A request that waited in the pool longer than `STALE_AFTER_SECONDS` before a thread took
it is refused (503) instead of carried out: its browser has given up, and a clerk's
call-next carried out half a minute later would call a citizen nobody is waiting for.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask

from broker.web.context import WebContext
from broker.web.live import (
    ENDED_EVENT,
    FEEDS,
    FEEDS_HEADER,
    HEARTBEAT,
    LIVE_HEADER,
    FeedEnded,
    FeedMaker,
    sse_event,
)

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# As ASGI spells them (lower-case bytes): the header naming a handed-over feed, and the
# request headers this layer adds (a client's own are dropped first): that feeds are
# served here, and when the request arrived (monotonic seconds).
_LIVE = LIVE_HEADER.lower().encode()
_FEEDS = FEEDS_HEADER.lower().encode()
_ARRIVED = b"x-antre-arrived"
STALE_AFTER_SECONDS = 10.0
# The live pages are brought up to date at most this often: a burst of calls is one
# update of a ticket page, not one per call.
ROUND_SECONDS = 1.0
# Paths the public listener serves (the ticket, survey and booking pages, their files):
# staff pages and the API are only on the staff listener.
PUBLIC_PREFIXES = ("/t/", "/s/", "/b/", "/static/", "/favicon")


class LiveApp:
    """The ASGI application: Flask in a pool of threads, live feeds on the loop."""

    def __init__(
        self,
        app: Flask,
        *,
        threads: int,
        public_only: bool = False,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> None:
        wsgi = _refuse_stale(app, stale_after)
        self._wsgi = WSGIMiddleware(wsgi, workers=threads)  # type: ignore[arg-type]
        self._public_only = public_only
        self.renders = Renders(app)
        self._rounds: dict[asyncio.AbstractEventLoop, _Rounds] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self._public_only and not scope["path"].startswith(PUBLIC_PREFIXES):
            await _plain(send, 404, b"Not found: staff pages are on the staff address.\n")
            return
        scope["headers"] = [
            (name, value) for name, value in scope["headers"] if name not in (_FEEDS, _ARRIVED)
        ] + [(_FEEDS, b"1"), (_ARRIVED, repr(time.monotonic()).encode())]
        feed: list[str] = []

        async def send_or_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                named = dict(message.get("headers", [])).get(_LIVE)
                if named is not None:
                    feed.append(named.decode())
                    return
            if feed:
                return  # the (empty) body of a response handed to the loop
            await send(message)

        await self._wsgi(scope, receive, send_or_keep)  # type: ignore[arg-type]  # a2wsgi's typed events
        if feed:
            await self._serve_feed(feed[0], receive, send)

    async def _serve_feed(self, name: str, receive: Receive, send: Send) -> None:
        render = self.renders.of(name)
        if render is None:
            await _plain(send, 404, b"Not found\n")
            return
        rounds = self._rounds_of_loop()
        gone = asyncio.ensure_future(_disconnected(receive))
        views = rounds.join(render)
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            view = await asyncio.get_running_loop().run_in_executor(None, _view_of, render)
            last: View = None
            while view is not _CLOSED and not gone.done():
                if view is _ENDED:
                    await send(_body(ENDED_EVENT.encode()))
                    break
                if view is _QUIET:
                    await send(_body(b": heartbeat\n\n"))
                elif view != last:  # a change elsewhere in the queue: nothing new here
                    last = view
                    await _send_event(send, view)
                view = await _next_view(views, gone)
            await send(_body(b"", more=False))
        except OSError:
            pass  # the phone went away mid-write
        finally:
            rounds.leave(views)
            gone.cancel()

    def _rounds_of_loop(self) -> "_Rounds":
        loop = asyncio.get_running_loop()
        rounds = self._rounds.get(loop)
        if rounds is None:
            rounds = self._rounds[loop] = _Rounds(self.renders.ctx, loop)
        return rounds

    def close(self) -> None:
        for rounds in self._rounds.values():
            rounds.close()


class Renders:
    """What each feed sends: the view of a ticket page or a counter console, as JSON.

    The page areas register their feeds with `broker.web.live.add_feed`."""

    def __init__(self, app: Flask) -> None:
        self.ctx: WebContext = app.extensions["antre"]
        self._feeds: dict[str, FeedMaker] = app.extensions.get(FEEDS, {})

    def of(self, name: str) -> Callable[[], str | None] | None:
        kind, *args = name.split(" ")
        make = self._feeds.get(kind)
        return make(self.ctx, args) if make is not None else None


# What a feed's queue may hand it besides a view: the server is stopping; nothing
# happened for a heartbeat's time; or its viewer may no longer see it (`FeedEnded`).
_CLOSED = object()
_QUIET = object()
_ENDED = object()
View = str | None | object


class _Rounds:
    """One event loop's open feeds, rendered together after the queue changes.

    A change wakes a round: one job in a thread renders every open feed (the ticket
    pages from one read of the queue, see `WebContext.per_change`), and each feed gets its view.
    Changes that come while a round runs, or within `ROUND_SECONDS` after it, make one
    more round, not one each: a burst of calls costs a few rounds, whatever the hall.
    """

    def __init__(self, ctx: WebContext, loop: asyncio.AbstractEventLoop) -> None:
        self._ctx = ctx
        self._hub = ctx.hub
        self._loop = loop
        self._feeds: dict[asyncio.Queue[View], Callable[[], str | None]] = {}
        self._changed = asyncio.Event()
        self._hub.watch(self._wake)
        self._task = loop.create_task(self._run())

    def join(self, render: Callable[[], str | None]) -> asyncio.Queue[View]:
        views: asyncio.Queue[View] = asyncio.Queue()
        self._feeds[views] = render
        return views

    def leave(self, views: asyncio.Queue[View]) -> None:
        self._feeds.pop(views, None)

    def close(self) -> None:
        self._hub.unwatch(self._wake)
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self._loop.call_soon_threadsafe(self._task.cancel)

    def _wake(self) -> None:
        # Any thread: the changer's. RuntimeError: the loop is closed, the server stopped.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._changed.set)

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._hub.closed:
                for views in self._feeds:
                    views.put_nowait(_CLOSED)
                return
            feeds = list(self._feeds.items())
            renders = [render for _, render in feeds]
            rendered = await self._loop.run_in_executor(None, self._render_all, renders)
            for (views, _), view in zip(feeds, rendered, strict=True):
                # Nothing new for a page (None): it is not even woken.
                if view is not None:
                    views.put_nowait(view)
            await asyncio.sleep(ROUND_SECONDS)

    def _render_all(self, renders: list[Callable[[], str | None]]) -> list[View]:
        views: list[View] = []
        with self._ctx.one_reading():  # the whole round from one reading of the queue
            for render in renders:
                try:
                    views.append(_view_of(render))
                except Exception:  # one page's view must not stop the others'
                    log.exception("a live page could not be rendered")
                    views.append(None)
        return views


async def _next_view(views: "asyncio.Queue[View]", gone: "asyncio.Future[None]") -> View:
    """The next view for a feed, `_QUIET` after a heartbeat's time without one."""
    waiting: asyncio.Future[Any] = asyncio.ensure_future(views.get())
    await asyncio.wait([waiting, gone], timeout=HEARTBEAT, return_when="FIRST_COMPLETED")
    if waiting.done():
        view: View = waiting.result()
        return view
    waiting.cancel()
    return _QUIET


def _view_of(render: Callable[[], str | None]) -> View:
    """The feed's view, or `_ENDED` when its viewer may no longer see it."""
    try:
        return render()
    except FeedEnded:
        return _ENDED


async def _send_event(send: Send, data: View) -> None:
    if isinstance(data, str):
        await send(_body(sse_event(data).encode()))


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _body(data: bytes, *, more: bool = True) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def _plain(send: Send, status: int, text: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send(_body(text, more=False))


_WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _refuse_stale(app: Flask, stale_after: float) -> _WsgiApp:
    """Flask, but a request that waited too long for a thread is refused, not carried out."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        arrived = environ.get("HTTP_X_ANTRE_ARRIVED")
        waited = time.monotonic() - float(arrived) if arrived else 0.0
        if waited > stale_after:
            log.warning(
                "dropped %s %s: it waited %.0f s for a thread (its browser has given up)",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                waited,
            )
            body = json.dumps({"ok": False, "reason": "unavailable"}).encode()
            start_response(
                "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Retry-After", "1")],
            )
            return [body]
        return app.wsgi_app(environ, start_response)

    return guarded
