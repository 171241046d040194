"""Serving the web console: uvicorn's event loop in a thread of its own, stoppable.

An event loop serves every connection of the listener (`broker.web.live_feeds`): the
pages and posts run in a small pool of threads, the live pages (ticket pages, counter
consoles) wait on the loop and hold no thread.

The central serves the staff listener, with every page, over TLS when given a
certificate (the session cookie is `Secure` on HTTPS, see `broker.web`). The citizens'
listener (plain HTTP for the guest Wi-Fi, `public_only`) runs in a process of its own
(`broker.web.public_main`): a hall of phones then costs the clerks' posts no time of the
central's interpreter (its lock, its garbage collector).
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
from broker.web.open_files import connections_allowed

log = logging.getLogger(__name__)

# Threads for pages and posts: live pages hold none, so a few serve a whole hall.
DEFAULT_THREADS = 16
# Open connections a listener keeps at once; past it a new one gets a 503 at once, so a
# crowd cannot exhaust the central's memory. A hall of phones and every staff page fit
# (if the process may open that many files: `broker.web.open_files`).
MAX_CONNECTIONS = 4000


@dataclass(frozen=True, slots=True)
class Tls:
    """The staff listener's certificate (with its chain) and private key, PEM files."""

    certificate: Path
    key: Path


class WebServer:
    """One listener of the web console on an event loop, in a thread of its own."""

    def __init__(
        self,
        app: Flask,
        host: str,
        port: int,
        threads: int = DEFAULT_THREADS,
        hub: ChangeHub | None = None,
        *,
        tls: Tls | None = None,
        public_only: bool = False,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> None:
        # Closed first on stop: it ends the event streams still open.
        self._hub = hub
        self._app = LiveApp(app, threads=threads, public_only=public_only, stale_after=stale_after)
        connections = connections_allowed(MAX_CONNECTIONS)
        self._listener = _listener(self._app, host, port, connections, tls)
        self.port: int = self._listener.port
        self.scheme = "https" if tls is not None else "http"
        self._public_only = public_only
        self._thread = threading.Thread(
            target=_serve, args=(self._listener,), name="web", daemon=True
        )

    def start(self) -> None:
        if self._public_only:
            log.info("public pages (tickets, survey, bookings) on http port %s", self.port)
        else:
            log.info("web console on %s port %s", self.scheme, self.port)
        self._thread.start()

    def stop(self) -> None:
        """Ends the live streams, stops accepting, and waits for the loop to finish."""
        if self._hub is not None:
            self._hub.close()
        self._listener.server.should_exit = True
        self._thread.join(timeout=10)
        self._app.close()


def _serve(listener: "_Listener") -> None:
    asyncio.run(listener.server.serve(sockets=[listener.socket]))


@dataclass(frozen=True, slots=True)
class _Listener:
    server: uvicorn.Server
    socket: socket.socket
    port: int


def _listener(
    app: LiveApp, host: str, port: int, connections: int, tls: Tls | None = None
) -> _Listener:
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
        limit_concurrency=connections,
        timeout_keep_alive=30,
        ssl_certfile=str(tls.certificate) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )
    return _Listener(uvicorn.Server(config), sock, sock.getsockname()[1])
