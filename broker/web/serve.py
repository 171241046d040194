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

from broker.web.live import ChangeHub

log = logging.getLogger(__name__)

# Live pages at once: 26 counters, a few managers, and citizens' phones.
DEFAULT_THREADS = 160


class WebServer:
    """Waitress on its own thread, stoppable."""

    def __init__(
        self,
        app: Flask,
        host: str,
        port: int,
        threads: int = DEFAULT_THREADS,
        hub: ChangeHub | None = None,
    ) -> None:
        # Closed first on stop: it ends the event streams that hold the threads.
        self._hub = hub
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
        """Closes every connection from the server's own thread, then waits for it.

        Closing sockets from another thread while waitress waits in select() makes it
        fail with EBADF; its trigger runs the shutdown inside its loop instead.
        """
        server = self._server
        if self._hub is not None:
            self._hub.close()

        def shut_everything() -> None:
            for channel in list(server._map.values()):
                channel.close()

        if self._thread.is_alive():
            try:
                server.trigger.pull_trigger(shut_everything)
            except OSError:
                # The loop already closed its trigger: it is ending by itself.
                log.debug("waitress was already shutting down")
            self._thread.join(timeout=10)
        server.task_dispatcher.shutdown(timeout=5)
