"""A site's uplink to the hub as a TCP relay that can be cut and restored, for trying faults.

    uplink = Uplink(target_port=8883)   # the hub broker's port
    uplink.start()                      # the site's [hub] port is uplink.port
    uplink.cut()                        # every connection dropped, new ones refused
    uplink.restore()

Bytes pass through untouched (TLS ends at the hub broker), so the site's bridge cannot
tell the relay from the network. A cut stops listening, so the bridge's next attempts
are refused, as with a hub out of reach; accepting and closing at once instead (EOF in
the TLS handshake) was seen to hang Mosquitto 2.0.11's whole loop, bridge and clients.
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
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def start(self) -> None:
        """Listens (on a free port the first time, then on the same one again)."""
        listener = socket.create_server((LOCALHOST, self.port))
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(
            target=self._accept, args=(listener,), name=f"uplink-{self.port}", daemon=True
        ).start()

    def cut(self) -> None:
        """Stops listening and drops every connection through the relay."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, set()
        if listener is not None:
            _close(listener)
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        if self.is_cut:
            self.start()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:
                    _close(client)
                    _close(server)
                    return
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
