"""Serving the web console: uvicorn's event loops in threads of the central, stoppable.

An event loop serves every connection of a listener (`broker.web.live_feeds`): the
pages and posts run in a small pool of threads, the live pages (ticket pages, counter
consoles) wait on the loop and hold no thread. Each listener has a loop (and a thread)
of its own, so the staff's posts never queue behind the updates of a hall of phones:

- the staff listener, with every page, over TLS when given a certificate (the session
  cookie is `Secure` on HTTPS, see `broker.web`);
- the public listener (optional), plain HTTP for the citizens' phones on the guest
  Wi-Fi, with only the ticket and survey pages: staff pages can be kept off it.
"""

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from flask import Flask

from broker.web.live import ChangeHub
from broker.web.live_feeds import STALE_AFTER_SECONDS, LiveApp

log = logging.getLogger(__name__)

# Threads for pages and posts: live pages hold none, so a few serve a whole hall.
DEFAULT_THREADS = 16
# Open connections a listener keeps at once; past it a new one gets a 503 at once, so a
# crowd cannot exhaust the central's memory. A hall of phones and every staff page fit.
MAX_CONNECTIONS = 4000


@dataclass(frozen=True, slots=True)
class Tls:
    """The staff listener's certificate (with its chain) and private key, PEM files."""

    certificate: Path
    key: Path


class WebServer:
    """The web console's listeners on one event loop, in a thread of their own."""

    def __init__(
        self,
        app: Flask,
        host: str,
        port: int,
        threads: int = DEFAULT_THREADS,
        hub: ChangeHub | None = None,
        *,
        tls: Tls | None = None,
        public_port: int | None = None,
        public_host: str | None = None,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> None:
        # Closed first on stop: it ends the event streams still open.
        self._hub = hub
        self._apps = [LiveApp(app, threads=threads, stale_after=stale_after)]
        self._listeners = [_listener(self._apps[0], host, port, tls)]
        if public_port is not None:
            public = LiveApp(app, threads=threads, public_only=True, stale_after=stale_after)
            self._apps.append(public)
            self._listeners.append(_listener(self._apps[1], public_host or host, public_port))
        self.port: int = self._listeners[0].port
        self.public_port: int | None = self._listeners[1].port if public_port is not None else None
        self.scheme = "https" if tls is not None else "http"
        self._threads = [
            threading.Thread(target=_serve, args=(listener,), name=f"web-{n}", daemon=True)
            for n, listener in enumerate(self._listeners)
        ]

    def start(self) -> None:
        log.info("web console on %s port %s", self.scheme, self.port)
        if self.public_port is not None:
            log.info("public pages (tickets, survey) on http port %s", self.public_port)
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Ends the live streams, stops accepting, and waits for the loops to finish."""
        if self._hub is not None:
            self._hub.close()
        for listener in self._listeners:
            listener.server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=10)
        for app in self._apps:
            app.close()


def _serve(listener: "_Listener") -> None:
    asyncio.run(listener.server.serve(sockets=[listener.socket]))


@dataclass(frozen=True, slots=True)
class _Listener:
    server: uvicorn.Server
    socket: socket.socket
    port: int


def _listener(app: LiveApp, host: str, port: int, tls: Tls | None = None) -> _Listener:
    """A bound socket (port 0: any free one, known at once) and a server for it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    config = uvicorn.Config(
        app,
        lifespan="off",
        # Each request is logged by the console itself where it matters; the access log
        # of every phone's page would drown the journal.
        access_log=False,
        log_config=None,
        # No proxy in front: the address is the client's own (the login brake counts it).
        proxy_headers=False,
        server_header=False,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=30,
        ssl_certfile=str(tls.certificate) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )
    return _Listener(uvicorn.Server(config), sock, sock.getsockname()[1])
