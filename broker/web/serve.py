"""Serving the web console with waitress, sized for live pages.

Waitress holds one thread for each open server-sent-events stream: every operator
console and every citizen's ticket page keeps one. With too few threads the server
stops answering posts. So the pool is sized well above the live pages we expect,
and `connection_limit` above that.
"""

import logging
import threading

from flask import Flask
from waitress.server import create_server

log = logging.getLogger(__name__)

# Live pages at once: 26 counters, a few managers, and citizens' phones.
DEFAULT_THREADS = 160


class WebServer:
    """Waitress on its own thread, stoppable."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
        self._server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            connection_limit=threads * 2,
            # Event streams are long-lived by design.
            channel_timeout=3600,
            ident="antre",
        )
        self.port: int = self._server.effective_port
        self._thread = threading.Thread(target=self._server.run, name="web", daemon=True)

    def start(self) -> None:
        log.info("web console on port %s", self.port)
        self._thread.start()

    def stop(self) -> None:
        self._server.close()
