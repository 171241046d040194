"""What a device says of itself in its retained status: its state and its health.

The kiosk, the survey unit and the display publish these; the central raises its ALERTs
and the devices page its alarms from them. One enumeration each, shared, so renaming a
state cannot silently stop an ALERT.
"""

from enum import StrEnum


class DeviceState(StrEnum):
    """A device's retained status (`DeviceStatus.state`)."""

    ONLINE = "online"
    # It stopped cleanly and said so.
    OFFLINE = "offline"
    # Mosquitto published its last will: it vanished without a word.
    LOST = "lost"


class PrinterHealth(StrEnum):
    """A kiosk's printer, as its status reports it (`HealthKey.PRINTER`)."""

    OK = "ok"
    # Still prints; the technician should bring a roll.
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    # Unplugged, switched off, or not answering.
    OFFLINE = "offline"
    # The connection cannot read status (a file): printed blind.
    UNKNOWN = "unknown"

    @property
    def printable(self) -> bool:
        return self not in UNPRINTABLE


# States in which a kiosk prints nothing: its lights blink, the central raises an ALERT.
UNPRINTABLE = frozenset({PrinterHealth.PAPER_OUT, PrinterHealth.COVER_OPEN, PrinterHealth.OFFLINE})


class ScannerHealth(StrEnum):
    """A kiosk's scanner, as its status reports it (`HealthKey.SCANNER`)."""

    OK = "ok"
    # Not there when the kiosk opened it (unplugged, wrong device in the site file).
    MISSING = "missing"
    # Opened, then it failed (unplugged while running, a read error): opened again soon.
    FAILED = "failed"


class HealthKey(StrEnum):
    """The figures of `DeviceStatus.health` the central and the console read."""

    PRINTER = "printer"
    # Requests a kiosk keeps until answered, and offline tickets not yet handed in.
    OUTBOX = "outbox"
    OFFLINE_PENDING = "offline_pending"
    # Reserved numbers a kiosk holds, and whether it hears the central.
    RESERVED = "reserved"
    # The highest number a kiosk was given in reserve today, per service: ticket ids
    # ("2026-12-07/A060"), space-separated. A restored central numbers on after them.
    RESERVED_UP_TO = "reserved_up_to"
    CENTRAL = "central"
    VERSION = "version"
    # The kiosk's scanner (`ScannerHealth`); absent when it has none.
    SCANNER = "scanner"
    # The last self-test: "passed 2026-12-07T07:05" or "failed ...: what failed".
    SELF_TEST = "self_test"


def printer_health(value: object) -> PrinterHealth | None:
    """A reported printer state, or None if the device sent none this release knows."""
    try:
        return PrinterHealth(value) if isinstance(value, str) else None
    except ValueError:
        return None
