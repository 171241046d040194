"""python-escpos's connection hooks: the one place the kiosk touches its protected members.

python-escpos 3 has no public call that sends bytes unchanged, nor one that tells whether
a connection can read. Its connection classes implement two protected hooks, `_raw(bytes)`
(write) and `_read()` (read; the `Escpos` base raises NotImplementedError), and the kiosk
needs both: a whole ticket goes out in one write, so a rendering error never leaves half a
ticket; and a status query must not go to a connection that cannot answer (a file, the
Dummy), where its bytes would land in the printout. `SimulatedPrinter` and the benchmark's
slow printer are connection classes of their own and implement the same two hooks.

python-escpos is pinned below 4 in pyproject.toml, and tests/test_library_privates.py
fails loudly when these hooks change.
"""

from __future__ import annotations

# python-escpos ships no type hints (see the mypy override in pyproject.toml).
from escpos.escpos import Escpos  # type: ignore[import-untyped, unused-ignore]


def write_raw(printer: Escpos, data: bytes) -> None:
    """Sends `data` to the printer unchanged, in one write (opening it first if needed)."""
    printer._raw(data)


def can_read(printer: Escpos) -> bool:
    """Whether the printer's connection reads replies (USB, serial, network)."""
    return type(printer)._read is not Escpos._read
