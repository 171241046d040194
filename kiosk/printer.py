"""The kiosk's ticket printer: python-escpos 3.x on USB, serial, network, a file or memory.

`TicketPrinter.print_ticket` checks the printer before printing (a ticket is never
started on a printer that cannot finish it), sends the whole ticket in one write,
and checks again after, so a roll that ran out mid-ticket is noticed. A fault raises
`PrinterFault`; the kiosk then stops taking presses for this printer, tells the
central, and has the number withdrawn.

Status comes from the ESC/POS real-time queries (DLE EOT n), which a printer answers
even when offline. python-escpos reads them on USB, serial and network connections;
a File connection cannot read, so its health is `unknown`, which still prints.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any, Literal, cast

# python-escpos ships no type hints (see the mypy override in the report); the
# `unused-ignore` code keeps these comments valid once mypy follows its sources.
from escpos.constants import (  # type: ignore[import-untyped, unused-ignore]
    DLE,
    EOT,
    QR_ECLEVEL_M,
    RT_MASK_LOWPAPER,
    RT_MASK_NOPAPER,
    RT_STATUS_ONLINE,
    RT_STATUS_PAPER,
)
from escpos.escpos import Escpos  # type: ignore[import-untyped, unused-ignore]
from escpos.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    DeviceNotFoundError,
)
from escpos.exceptions import Error as EscposError  # type: ignore[import-untyped, unused-ignore]
from escpos.printer import (  # type: ignore[import-untyped, unused-ignore]
    Dummy,
    File,
    Network,
    Serial,
    Usb,
)

from contract.errors import AntreError, ConfigError
from contract.health import PrinterHealth
from contract.messages import TicketInfo
from contract.site import Printer, Site
from kiosk.escpos_hooks import can_read, write_raw
from kiosk.ticket_layout import BigNumber, Block, Cut, Feed, QrCode, TextLine, ticket_layout

log = logging.getLogger(__name__)


class PrinterFault(AntreError):
    """The printer cannot print (or could not finish) a ticket.

    `started` says whether any of the ticket was sent: a half-printed ticket may be
    in the tray, and its number is withdrawn all the same.
    """

    def __init__(self, health: PrinterHealth, detail: str = "", *, started: bool = False) -> None:
        self.health = health
        self.detail = detail
        self.started = started
        super().__init__(f"printer {health}" + (f": {detail}" if detail else ""))


# What python-escpos and the connections under it raise when the printer is not
# there: DeviceNotFoundError and USBNotFoundError are escpos Errors; pyusb's
# USBError (and USBTimeoutError), pyserial's SerialException and socket errors
# are OSErrors.
DEVICE_ERRORS: tuple[type[BaseException], ...] = (EscposError, OSError)
# Closing a Usb printer raises RuntimeError when pyusb is missing.
_CLOSE_ERRORS: tuple[type[BaseException], ...] = (*DEVICE_ERRORS, RuntimeError)

# Seconds a status reply may take on a network or serial connection (python-escpos
# waits 60 s on a network by default); pyusb reads give up after its own 1 s.
STATUS_TIMEOUT = 2.0
# How long the ticket takes to leave the printer before the check after printing:
# status queries are answered at once, even while the ticket is still printing.
SETTLE_SECONDS = 2.0
# Bits a byte takes on a serial line (8N1: a start and a stop bit).
SERIAL_BITS_PER_BYTE = 10
# Native QR module size in dots (0.125 mm at 203 dpi): about 25 mm for a ticket URL.
QR_DOT_SIZE = 6
# Box size of the rendered QR image: a 75-module code (far more than a URL needs)
# is 375 dots wide, within a 58 mm printer's 384.
QR_IMAGE_BOX = 5
# Lines fed after the last line when there is no cutter, to reach the tear bar.
TEAR_FEED_LINES = 5
# Printable dots per line, for python-escpos's image centring (203 dpi heads).
MEDIA_DOTS = {80: 576, 58: 384}

# DLE EOT 2: why the printer is offline. python-escpos has no helper for it.
RT_STATUS_OFFLINE_CAUSE: bytes = DLE + EOT + b"\x02"
# Every real-time status byte has bits 1 and 4 set and bits 0 and 7 clear.
_STATUS_FIXED_MASK = 0x93
_STATUS_FIXED = 0x12
_OFFLINE_BIT = 0x08  # DLE EOT 1
_COVER_OPEN_BIT = 0x04  # DLE EOT 2
_PAPER_END_STOP_BIT = 0x20  # DLE EOT 2: printing stopped at the end of the paper
_NEAR_END_BITS = 0x0C  # DLE EOT 4
_PAPER_END_BITS = 0x60  # DLE EOT 4


def make_escpos(config: Printer) -> Escpos:
    """The python-escpos printer for a kiosk's printer config (not yet opened).

    Raises PrinterFault(offline) when the library the connection needs (pyusb,
    pyserial) is missing: the kiosk runs and says why its printer is down.
    """
    missing = config.missing_connection_keys()
    if missing:
        raise ConfigError("printer", missing[0], f"a {config.type} printer needs {missing[0]}")
    match config.type:
        case "usb":
            if not Usb.is_usable():
                raise PrinterFault(PrinterHealth.OFFLINE, "pyusb is not installed")
            # Write timeout in milliseconds; without one a stuck printer blocks forever.
            return Usb(config.usb_vendor_id, config.usb_product_id, timeout=5000)
        case "serial":
            if not Serial.is_usable():
                raise PrinterFault(PrinterHealth.OFFLINE, "pyserial is not installed")
            assert config.serial_device is not None
            # Serial's __init__ wears an untyped decorator: name the type it makes.
            serial: Escpos = Serial(
                config.serial_device, baudrate=config.baudrate, timeout=STATUS_TIMEOUT
            )
            return serial
        case "network":
            assert config.host is not None
            # python-escpos waits 60 s by default; a status reply comes at once or never.
            return ClosingNetwork(config.host, port=config.port, timeout=STATUS_TIMEOUT)
        case "file":
            assert config.path is not None
            return File(config.path)
        case "dummy":
            return SimulatedPrinter()


class ClosingNetwork(Network):  # type: ignore[misc, unused-ignore]
    """python-escpos's Network printer, minus a leak: when the connection is refused,
    python-escpos 3.1 drops its socket unclosed (a ResourceWarning) and never tries
    to connect again. This one closes it and tries again on the next use."""

    def open(self, raise_not_found: bool = True) -> None:
        self.close()
        # False, not None, on failure: python-escpos opens again only from False.
        connection: socket.socket | Literal[False] = False
        error: OSError | None = None
        try:
            connection = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as e:
            error = e
        self._device = connection
        if error is not None:
            if raise_not_found:
                raise DeviceNotFoundError(f"Could not open socket for {self.host}:\n{error}")
            log.error("Network printer %s not found: %s", self.host, error)


class SimulatedPrinter(Dummy):  # type: ignore[misc, unused-ignore]
    """A Dummy printer that answers status queries like a real one, for tests and demos.

    `simulate(health)` sets its condition; it then answers python-escpos's own
    queries (`paper_status()`, `is_online()`, `query_status()`) with the byte an
    Epson-compatible printer sends. Offline means no reply at all; unknown means a
    connection that cannot read, like a file.
    """

    def __init__(self, health: PrinterHealth = PrinterHealth.OK, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.condition = health
        self._replies = bytearray()
        self._later: PrinterHealth | None = None
        self._bytes_left = 0

    def simulate(self, health: PrinterHealth, *, after_bytes: int = 0) -> None:
        """Puts the printer in `health` now, or once `after_bytes` more bytes of print
        data have arrived (a roll that runs out mid-ticket)."""
        if after_bytes <= 0:
            self.condition = health
            self._later = None
        else:
            self._later = health
            self._bytes_left = after_bytes

    def _raw(self, msg: bytes) -> None:
        super()._raw(msg)
        if len(msg) == 3 and msg[:2] == DLE + EOT:
            reply = self.status_byte(msg[2])
            if reply is not None:
                self._replies.append(reply)
            return
        if self._later is not None:
            self._bytes_left -= len(msg)
            if self._bytes_left <= 0:
                self.condition, self._later = self._later, None

    def _read(self) -> bytes:
        if self.condition is PrinterHealth.UNKNOWN:
            raise NotImplementedError("this simulated connection cannot read")
        reply = bytes(self._replies)
        self._replies.clear()
        return reply

    def status_byte(self, query: int) -> int | None:
        """What the printer answers to DLE EOT `query` in its condition (None: nothing)."""
        health = self.condition
        if health in (PrinterHealth.OFFLINE, PrinterHealth.UNKNOWN):
            return None
        stopped = health in (PrinterHealth.PAPER_OUT, PrinterHealth.COVER_OPEN)
        status = _STATUS_FIXED
        if query == 1 and stopped:
            status |= _OFFLINE_BIT
        elif query == 2:
            if health is PrinterHealth.COVER_OPEN:
                status |= _COVER_OPEN_BIT
            if health is PrinterHealth.PAPER_OUT:
                status |= _PAPER_END_STOP_BIT
        elif query == 4:
            if health in (PrinterHealth.PAPER_NEAR_END, PrinterHealth.PAPER_OUT):
                status |= _NEAR_END_BITS
            if health is PrinterHealth.PAPER_OUT:
                status |= _PAPER_END_BITS
        return status


def transfer_seconds(config: Printer, size: int) -> float:
    """How long `size` bytes take to reach the printer: on a serial line, at its baud
    rate (a ticket of 8 KB takes 9 s at 9600 baud); USB and a network, no time that
    counts."""
    if config.type != "serial":
        return 0.0
    return size * SERIAL_BITS_PER_BYTE / config.baudrate


class TicketPrinter:
    """Prints tickets on one kiosk printer and tells its health."""

    def __init__(
        self,
        config: Printer,
        site: Site,
        device: Escpos | None = None,
        *,
        settle_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.site = site
        self._device = device
        self._sleep = sleep
        if settle_seconds is None:
            in_memory = isinstance(device, Dummy) or config.type in ("file", "dummy")
            settle_seconds = 0.0 if in_memory else SETTLE_SECONDS
        self.settle_seconds = settle_seconds
        # The health last seen, by `health()` or by a print.
        self.last_health = PrinterHealth.UNKNOWN

    @property
    def device(self) -> Escpos:
        """The python-escpos printer, made on first use (it opens on first write)."""
        if self._device is None:
            self._device = make_escpos(self.config)
        return self._device

    def health(self) -> PrinterHealth:
        """Asks the printer how it is; never raises for a printer that is not there."""
        try:
            health = read_health(self.device)
        except PrinterFault as fault:
            health = fault.health
        except DEVICE_ERRORS as e:
            log.debug("printer status query failed: %s", e)
            self._disconnect()
            health = PrinterHealth.OFFLINE
        self.last_health = health
        return health

    def print_ticket(
        self, ticket: TicketInfo, *, offline: bool = False, booking: str | None = None
    ) -> None:
        """Prints `ticket` (for `booking`, a booking code, when printed offline at a
        check-in), or raises PrinterFault.

        Before: paper out, cover open or offline raise with nothing printed. After:
        the same faults raise with `started` set (the ticket may be incomplete).
        Paper near its end prints; `last_health` says so.
        """
        self.print_blocks(self._layout(ticket, offline, booking))

    def print_blocks(self, blocks: list[Block]) -> None:
        """Prints laid-out blocks (a ticket, the self-test's test ticket) as
        `print_ticket` says."""
        before = self.health()
        if not before.printable:
            raise PrinterFault(before, "before printing; nothing was printed")
        job = self.render_job(blocks)
        try:
            # One write: a rendering error can never leave half a ticket.
            write_raw(self.device, job)
        except DEVICE_ERRORS as e:
            self._disconnect()
            self.last_health = PrinterHealth.OFFLINE
            raise PrinterFault(PrinterHealth.OFFLINE, str(e), started=True) from e
        # The status query goes behind the ticket's bytes: on a slow serial line the
        # printer answers only once they have arrived, so ask no sooner.
        wait = max(self.settle_seconds, transfer_seconds(self.config, len(job)))
        if wait > 0:
            self._sleep(wait)
        after = self.health()
        if not after.printable:
            raise PrinterFault(after, "while printing; the ticket may be incomplete", started=True)

    def render(self, ticket: TicketInfo, *, offline: bool = False) -> bytes:
        """The ESC/POS bytes of a ticket, made with python-escpos in memory."""
        return self.render_job(self._layout(ticket, offline, None))

    def render_job(self, blocks: list[Block]) -> bytes:
        """The ESC/POS bytes of laid-out blocks, made with python-escpos in memory."""
        job = Dummy()
        _fit_profile(job, self.config)
        render_blocks(job, blocks, self.config)
        output: bytes = job.output
        return output

    def _layout(self, ticket: TicketInfo, offline: bool, booking: str | None) -> list[Block]:
        columns = self.config.line_columns
        return ticket_layout(self.site, ticket, columns=columns, offline=offline, booking=booking)

    def close(self) -> None:
        """Closes the connection; the next print opens it again."""
        self._disconnect()

    def _disconnect(self) -> None:
        """Drops the connection so the next use opens it again (a printer plugged back
        in, a network printer restarted)."""
        if self._device is None:
            return
        try:
            # Escpos.close is unannotated in python-escpos.
            cast(Any, self._device).close()
        except _CLOSE_ERRORS as e:
            log.debug("closing the printer connection: %s", e)
        # After a failed open python-escpos keeps None ("initialised, not connected")
        # and then fails every write on an assertion instead of opening again; False
        # is its "not initialised" state, which opens on the next write.
        self._device.device = False


def read_health(device: Escpos) -> PrinterHealth:
    """The printer's health from its real-time status.

    python-escpos's `paper_status()` answers 2 ("paper adequate") when no byte
    comes back, so an unplugged printer would look fine; and a printer that stopped
    at the end of its roll is also "offline". So: no reply is offline (never paper
    out), and an offline printer is asked why (cover open, paper end) before it is
    called plainly offline. Connections that cannot read report unknown.
    """
    if not can_read(device):
        return PrinterHealth.UNKNOWN
    try:
        printer = _status(device, RT_STATUS_ONLINE)
        if printer is None:
            return PrinterHealth.OFFLINE
        stopped = bool(printer & _OFFLINE_BIT)
        if stopped:
            cause = _status(device, RT_STATUS_OFFLINE_CAUSE)
            if cause is not None and cause & _COVER_OPEN_BIT:
                return PrinterHealth.COVER_OPEN
            if cause is not None and cause & _PAPER_END_STOP_BIT:
                return PrinterHealth.PAPER_OUT
        paper = _status(device, RT_STATUS_PAPER)
    except NotImplementedError:
        return PrinterHealth.UNKNOWN
    except _MalformedStatus as e:
        log.warning("printer status: %s", e)
        return PrinterHealth.UNKNOWN
    if paper is None:
        return PrinterHealth.OFFLINE
    # The masks python-escpos's paper_status() uses (they include the fixed bits).
    if paper & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
        return PrinterHealth.PAPER_OUT
    if stopped:
        return PrinterHealth.OFFLINE
    if paper & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
        return PrinterHealth.PAPER_NEAR_END
    return PrinterHealth.OK


class _MalformedStatus(Exception):
    pass


def _status(device: Escpos, query: bytes) -> int | None:
    """The status byte answering `query`, or None when nothing came back."""
    reply: bytes = device.query_status(query)
    if len(reply) == 0:
        return None
    # A late reply to an earlier query may come first: the last byte answers this one.
    status = int(reply[-1])
    if status & _STATUS_FIXED_MASK != _STATUS_FIXED:
        raise _MalformedStatus(f"{query!r} answered {bytes(reply)!r}, not a status byte")
    return status


def render_blocks(printer: Escpos, blocks: list[Block], config: Printer) -> None:
    """Sends the blocks as python-escpos calls: native text sizes, native QR where the
    printer has it, a cut where it has a cutter."""
    # ESC @ clears any style an interrupted job left; ESC t 0 (code page 437) stops
    # python-escpos switching code pages: the layout is ASCII (see ticket_layout).
    printer.hw("INIT")
    printer.charcode("CP437")
    for block in blocks:
        match block:
            case TextLine(text, align, bold, width, height):
                printer.set(align=align, bold=bold, custom_size=True, width=width, height=height)
                printer.textln(text)
            case BigNumber(text, size):
                # GS ! n: the printer's own font scaled, not a raster image (raster
                # prints several times slower).
                printer.set(align="center", bold=True, custom_size=True, width=size, height=size)
                printer.textln(text)
            case QrCode(url):
                printer.set(align="center", bold=False, custom_size=True, width=1, height=1)
                if config.has_native_qr:
                    # GS ( k: the printer draws the code; centred by ESC a.
                    printer.qr(url, native=True, size=QR_DOT_SIZE, ec=QR_ECLEVEL_M)
                else:
                    # The one raster image allowed on a ticket: printers without a
                    # native QR command (many 58 mm ones) get the code as a GS v 0
                    # image rendered by python-escpos, only as wide as the code and
                    # centred by ESC a: padded to the whole line it would be twice the
                    # bytes, which a 9600-baud serial printer takes seconds to receive.
                    printer.qr(
                        url,
                        native=False,
                        size=QR_IMAGE_BOX,
                        ec=QR_ECLEVEL_M,
                        image_arguments={"center": False},
                    )
            case Feed(lines):
                printer.ln(lines)
            case Cut():
                if config.has_cutter:
                    printer.cut()
                else:
                    printer.print_and_feed(TEAR_FEED_LINES)


def _fit_profile(printer: Escpos, config: Printer) -> None:
    """Gives python-escpos's default profile the paper's width in dots.

    Without it, printing an image (the non-native QR) prints a warning to stdout and
    cannot centre. The profile data is a class attribute shared by every printer:
    this instance gets its own copy.
    """
    profile = printer.profile
    data = dict(profile.profile_data)
    data["media"] = {
        "dpi": 203,
        "width": {"mm": config.width_mm, "pixels": MEDIA_DOTS[config.width_mm]},
    }
    profile.profile_data = data
