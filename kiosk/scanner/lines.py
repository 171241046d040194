"""Bytes from a serial scanner into whole codes: one code a line, ended by CR or LF."""

import logging

log = logging.getLogger(__name__)

# A booking code is 9 characters; a scanner pointed at a product's QR code or a long
# URL sends more. Nothing longer is a code, and a line is not kept growing without end.
MAX_LINE = 64


class LineAssembler:
    """Collects bytes across partial reads and hands out each complete line."""

    # CR, LF and CR LF all end a line; empty lines are dropped. A line longer than
    # `max_length` is dropped whole, up to its end, so its tail is not taken for a code.

    def __init__(self, max_length: int = MAX_LINE) -> None:
        self.max_length = max_length
        self._line = bytearray()
        self._overlong = False

    def feed(self, data: bytes) -> list[str]:
        """The lines `data` completes, as text (bytes outside ASCII become U+FFFD)."""
        lines: list[str] = []
        for byte in data:
            if byte in b"\r\n":
                if self._line and not self._overlong:
                    lines.append(self._line.decode("ascii", errors="replace"))
                elif self._overlong:
                    log.warning("scanner: dropped a line over %d characters", self.max_length)
                self._line.clear()
                self._overlong = False
            elif not self._overlong:
                self._line.append(byte)
                if len(self._line) > self.max_length:
                    self._overlong = True
                    self._line.clear()
        return lines
