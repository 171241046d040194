"""A site's uplink to the hub as a TCP relay that can be cut and restored, for trying faults.

    uplink = Uplink(target_port=8883)   # the hub broker's port
    uplink.start()                      # the site's [hub] port is uplink.port
    uplink.cut()                        # every connection dropped, new ones refused
    uplink.restore()

Bytes pass through untouched (TLS ends at the hub broker), so the site's bridge cannot
tell the relay from the network: a cut is what a mall sees when its internet goes.
"""

from __future__ import annotations

import contextlib
import socket
import threading

LOCALHOST = "127.0.0.1"
CHUNK = 65536


class Uplink:
    """Relays connections from `port` to the hub broker until cut."""

    def __init__(self, target_port: int, target_host: str = LOCALHOST) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server((LOCALHOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._closed = False

    @property
    def is_cut(self) -> bool:
        return self._cut

    def start(self) -> None:
        threading.Thread(target=self._accept, name=f"uplink-{self.port}", daemon=True).start()

    def cut(self) -> None:
        """Drops every connection through the relay and refuses new ones until restored."""
        with self._lock:
            self._cut = True
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(CHUNK):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
