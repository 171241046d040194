"""Log lines for a terminal, or for journald when systemd runs the service.

On a terminal each line carries its time. Under systemd (stderr connected to the journal,
which systemd says in `JOURNAL_STREAM`) journald stamps the time itself, and a `<N>`
prefix gives each line its syslog priority, so `journalctl -p warning` finds the
warnings and errors:

    <3>antre.central: ALERT kiosk-2 printer: paper_out

A log line holds ids and ticket strings that devices sent. Control characters in the
message are escaped (a newline becomes `\n`), so no device can write a line of its own
choosing, such as a forged `ALERT`; only a traceback spans lines.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

TERMINAL_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"
# Python's levels to syslog priorities (journald's <N> prefix, sd-daemon(3)).
_PRIORITY = [
    (logging.CRITICAL, 2),
    (logging.ERROR, 3),
    (logging.WARNING, 4),
    (logging.INFO, 6),
]


def escape_controls(text: str) -> str:
    """`text` with every unprintable character (newline, escape, U+2028...) escaped."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class OneLineFormatter(logging.Formatter):
    """Formats a record's message as one line, whatever the values in it hold."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  # logging's name
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


class JournalFormatter(OneLineFormatter):
    """One line per record, with journald's priority prefix on every line of it."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        priority = next((p for level, p in _PRIORITY if record.levelno >= level), 7)
        # A traceback spans lines; journald makes each line its own entry.
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def to_journal(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """True when `stream` is the journal stream systemd connected (`JOURNAL_STREAM`)."""
    env = os.environ if environ is None else environ
    device, _, inode = env.get("JOURNAL_STREAM", "").partition(":")
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return False
    return f"{st.st_dev}:{st.st_ino}" == f"{device}:{inode}"


def configure_logging(level: str) -> None:
    """Logs at `level` (a name: INFO, DEBUG...) to stderr, shaped for where it goes."""
    handler = logging.StreamHandler(sys.stderr)
    if to_journal(sys.stderr):
        handler.setFormatter(JournalFormatter())
    else:
        handler.setFormatter(OneLineFormatter(TERMINAL_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
