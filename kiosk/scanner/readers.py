"""Opening a scanner and reading codes from it: a serial port, or a kernel input device."""

import errno
import fcntl
import os
import select
from typing import Protocol

import serial

from contract.errors import AntreError
from contract.site import Scanner
from kiosk.scanner.keys import EVENT, Typed, decode_keys, parse_events
from kiosk.scanner.lines import LineAssembler

# _IOW('E', 0x90, int): take an input device for this file alone (linux/input.h).
EVIOCGRAB = 0x40044590


class ScannerError(AntreError):
    """The scanner cannot be opened or read (unplugged, no access, not a scanner)."""

    def __init__(self, problem: str, *, missing: bool = False) -> None:
        # Not there at all, rather than there and failing.
        self.missing = missing
        super().__init__(problem)


class Reader(Protocol):
    def read(self, timeout: float) -> list[str]: ...
    def close(self) -> None: ...


def open_reader(config: Scanner) -> Reader:
    """The reader the site file names for this scanner, opened."""
    if config.type == "serial":
        return SerialReader(config)
    return KeyboardReader(config)


def _missing(e: OSError) -> bool:
    return e.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO)


class SerialReader:
    """A scanner on a serial port (USB CDC-ACM): one code a line."""

    def __init__(self, config: Scanner) -> None:
        self.device = config.device
        self._lines = LineAssembler()
        try:
            self._port = serial.Serial(config.device, config.baud_rate, timeout=0)
        except serial.SerialException as e:
            # pyserial's error is an OSError carrying the errno of the failed open.
            raise ScannerError(f"{config.device}: cannot open ({e})", missing=_missing(e)) from e

    def read(self, timeout: float) -> list[str]:
        """The codes completed within `timeout` seconds (often none)."""
        try:
            ready, _, _ = select.select([self._port.fileno()], [], [], timeout)
            if not ready:
                return []
            data = self._port.read(self._port.in_waiting or 1)
        except (serial.SerialException, OSError, ValueError) as e:
            raise ScannerError(f"{self.device}: cannot read ({e})") from e
        return self._lines.feed(data)

    def close(self) -> None:
        self._port.close()


class KeyboardReader:
    """A keyboard-wedge scanner read from its kernel input device, grabbed if asked."""

    def __init__(self, config: Scanner) -> None:
        self.device = config.device
        self._typed = Typed()
        self._rest = b""
        try:
            self._fd = os.open(config.device, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as e:
            raise ScannerError(f"{config.device}: cannot open ({e})", missing=_missing(e)) from e
        if config.grabs:
            try:
                # Its keystrokes then reach no console or other program on the Pi.
                fcntl.ioctl(self._fd, EVIOCGRAB, 1)
            except OSError as e:
                os.close(self._fd)
                raise ScannerError(
                    f"{config.device}: cannot grab it for the kiosk alone ({e}): "
                    "not an input device, or another program holds it"
                ) from e

    def read(self, timeout: float) -> list[str]:
        """The codes completed within `timeout` seconds (often none)."""
        try:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            if not ready:
                return []
            data = os.read(self._fd, EVENT.size * 64)
        except BlockingIOError:
            return []
        except OSError as e:
            raise ScannerError(f"{self.device}: cannot read ({e})") from e
        if not data:
            raise ScannerError(f"{self.device}: the device is gone")
        # A read may end inside a record: its start is kept for the next read.
        data = self._rest + data
        whole = len(data) - len(data) % EVENT.size
        self._rest = data[whole:]
        codes, self._typed = decode_keys(parse_events(data[:whole]), self._typed)
        return codes

    def close(self) -> None:
        os.close(self._fd)
