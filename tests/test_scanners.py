"""The kiosk's scanner: its site-file table, the serial and keyboard readers, its thread.

The serial scanner is a real pseudo-terminal pair (os.openpty) read with pyserial. The
keyboard scanner's key events go through the same parsing the kiosk uses on the
kernel's input device, fed with recorded `struct input_event` records, and through a
FIFO standing in for the device file. This machine has no /dev/uinput, so no virtual
input device is made here; the grab (EVIOCGRAB) is checked to fail loudly on a file
that is not an input device.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.check_config import main as check_config
from contract.errors import ConfigError
from contract.health import ScannerHealth
from contract.site import Scanner
from contract.site_loader import parse_site
from kiosk.scanner.keys import (
    EV_KEY,
    EVENT,
    KEY_DOWN,
    KEY_LEFTSHIFT,
    KEY_REPEAT,
    KEY_UP,
    Typed,
    decode_keys,
    parse_events,
    record,
)
from kiosk.scanner.lines import MAX_LINE, LineAssembler
from kiosk.scanner.readers import KeyboardReader, ScannerError, open_reader
from kiosk.scanner.thread import ScannerThread
from tests.broker_fixtures import EXAMPLE_SITE
from tests.kiosk_fixtures import until

EV_SYN = 0
# linux/input-event-codes.h
KEY = {
    **{c: 2 + i for i, c in enumerate("1234567890")},
    "-": 12,
    **{c: 16 + i for i, c in enumerate("qwertyuiop")},
    **{c: 30 + i for i, c in enumerate("asdfghjkl")},
    **{c: 44 + i for i, c in enumerate("zxcvbnm")},
}
KEY_ENTER, KEY_KPENTER, KEY_KP7, KEY_TAB_UNMAPPED = 28, 96, 71, 15


def typing(text: str, *, enter: int = KEY_ENTER) -> list[tuple[int, int, int]]:
    """The events a US-layout keyboard wedge sends for `text` then Enter: press and
    release per key, shift held around capitals, a SYN_REPORT after each."""
    events: list[tuple[int, int, int]] = []
    for char in text:
        shifted = char.isupper()
        if shifted:
            events += [(EV_KEY, KEY_LEFTSHIFT, KEY_DOWN), (EV_SYN, 0, 0)]
        code = KEY[char.lower()]
        events += [(EV_KEY, code, KEY_DOWN), (EV_SYN, 0, 0), (EV_KEY, code, KEY_UP)]
        if shifted:
            events += [(EV_KEY, KEY_LEFTSHIFT, KEY_UP)]
        events += [(EV_SYN, 0, 0)]
    return [*events, (EV_KEY, enter, KEY_DOWN), (EV_KEY, enter, KEY_UP), (EV_SYN, 0, 0)]


# -- the site file ---------------------------------------------------------------------


def _with_scanner(table: str) -> str:
    """The example site with `table` as kiosk-1's scanner."""
    text = EXAMPLE_SITE.read_text(encoding="utf-8")
    anchor = '[[kiosks]]\nid = "kiosk-2"\n'
    assert anchor in text
    return text.replace(anchor, "[kiosks.scanner]\n" + table + "\n\n" + anchor, 1)


def test_a_serial_and_a_keyboard_scanner_load_with_their_defaults() -> None:
    # GIVEN kiosk-1 with a serial scanner (kiosk-2 has the example's keyboard scanner)
    site = parse_site(_with_scanner('type = "serial"\ndevice = "/dev/ttyACM0"'))
    serial_scanner, keyboard = (kiosk.scanner for kiosk in site.kiosks)
    # THEN each reads with its defaults
    assert serial_scanner is not None
    assert keyboard is not None
    assert (serial_scanner.type, serial_scanner.baud_rate) == ("serial", 9600)
    assert keyboard.type == "keyboard"
    assert keyboard.grabs
    assert keyboard.device.startswith("/dev/input/by-id/")


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        ('type = "keyboard"\ndevice = "/dev/ttyACM0"', "scanner.device", "under /dev/input/"),
        ('type = "keyboard"\ndevice = "/dev/input/event3"\nbaud = 9600', "scanner.baud", "serial"),
        ('type = "serial"\ndevice = "ttyACM0"', "scanner.device", "under /dev/"),
        ('type = "serial"\ndevice = "/dev/ttyACM0"\ngrab = true', "scanner.grab", "keyboard"),
        ('type = "camera"\ndevice = "/dev/video0"', "scanner.type", "camera"),
        ('type = "serial"', "scanner.device", "missing required field"),
        ('type = "serial"\ndevice = "/dev/ttyACM0"\nbaudrate = 9600', "scanner.baudrate", ""),
    ],
)
def test_a_wrong_scanner_table_names_its_key(table: str, key: str, problem: str) -> None:
    # GIVEN a scanner table with a mistake WHEN the site file loads THEN it names the key
    with pytest.raises(ConfigError) as raised:
        parse_site(_with_scanner(table))
    assert raised.value.key == f"kiosks[0].{key}"
    assert problem in str(raised.value)


def test_check_config_refuses_a_wrong_scanner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(_with_scanner('type = "serial"\ndevice = "COM3"'), encoding="utf-8")
    assert check_config([str(site)]) == 1
    assert "kiosks[0].scanner.device" in capsys.readouterr().err


# -- serial: lines ---------------------------------------------------------------------


def test_lines_end_in_cr_lf_or_both_across_partial_reads() -> None:
    lines = LineAssembler()
    # GIVEN a code arriving in pieces, then two more with other line ends
    assert lines.feed(b"E-7K") == []
    assert lines.feed(b"3M9Q\r") == ["E-7K3M9Q"]
    # THEN the LF of a CR LF makes no empty code, and each end gives one line
    assert lines.feed(b"\nA-0000AA\nB-1") == ["A-0000AA"]
    assert lines.feed(b"11111\r\n\r\n") == ["B-111111"]


def test_junk_comes_through_as_text_and_an_overlong_line_is_dropped_whole() -> None:
    lines = LineAssembler()
    # GIVEN bytes no scanner should send, then a line far too long, then a code
    got = lines.feed(b"\x1b[2J\xff\x00x\r" + b"9" * (MAX_LINE + 10) + b"\rE-7K3M9Q\n")
    # THEN the junk is one line of text (the check-in refuses it), the long line is gone
    # with its tail, and the code after it is whole
    assert got == ["\x1b[2J\ufffd\x00x", "E-7K3M9Q"]


# -- keyboard: recorded input events ---------------------------------------------------


def test_recorded_key_events_type_a_code_with_shift_up_to_enter() -> None:
    # GIVEN the events of a wedge typing "E-7K3M9Q" and Enter, recorded as the kernel
    # writes them
    data = record(typing("E-7K3M9Q"))
    # WHEN parsed and decoded
    codes, typed = decode_keys(parse_events(data), Typed())
    # THEN it is the code, capitals from shift, and nothing is left half-typed
    assert codes == ["E-7K3M9Q"]
    assert typed == Typed()


def test_a_code_split_between_reads_keeps_its_shift_and_text() -> None:
    events = typing("Ab1") + typing("zz", enter=KEY_KPENTER)
    # GIVEN the events arrive in two reads, the first ending with shift held
    codes_1, typed = decode_keys(events[:2], Typed())
    codes_2, typed = decode_keys(events[2:], typed)
    # THEN both codes come out whole
    assert codes_1 == []
    assert codes_2 == ["Ab1", "zz"]


def test_auto_repeat_types_unknown_keys_do_not_and_keypad_digits_do() -> None:
    events = [
        (EV_KEY, KEY["a"], KEY_DOWN),
        (EV_KEY, KEY["a"], KEY_REPEAT),
        (EV_KEY, KEY["a"], KEY_UP),
        (EV_KEY, KEY_TAB_UNMAPPED, KEY_DOWN),
        (EV_KEY, 200, KEY_DOWN),  # KEY_PLAYCD: no character
        (EV_KEY, KEY_KP7, KEY_DOWN),
        (EV_KEY, KEY_ENTER, KEY_DOWN),
    ]
    assert decode_keys(events, Typed())[0] == ["aa7"]


def test_an_overlong_typed_code_is_dropped_up_to_its_enter() -> None:
    events = typing("1" * (MAX_LINE + 5)) + typing("E-7K3M9Q")
    assert decode_keys(events, Typed())[0] == ["E-7K3M9Q"]


def test_a_record_split_between_reads_is_not_lost() -> None:
    data = record(typing("Q-123456"))
    cut = EVENT.size * 3 + 5
    # GIVEN the bytes split inside a record, the partial record is left for later
    first = parse_events(data[:cut])
    assert len(first) == 3
    assert parse_events(data[cut - 5 :]) == parse_events(data)[3:]


# -- readers and the thread, on real devices -------------------------------------------


class Codes:
    """What a scanner thread hands out, for the test to wait on."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.health: list[ScannerHealth] = []
        self._lock = threading.Lock()

    def code(self, code: str) -> None:
        with self._lock:
            self.codes.append(code)

    def changed(self, health: ScannerHealth, detail: str) -> None:
        with self._lock:
            self.health.append(health)


@pytest.fixture
def running() -> Iterator[list[ScannerThread]]:
    threads: list[ScannerThread] = []
    yield threads
    for thread in threads:
        thread.stop()


def _pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    return master, slave, os.ttyname(slave)


def test_a_serial_scanner_through_a_pty_is_missing_found_unplugged_and_found_again(
    tmp_path: Path, running: list[ScannerThread]
) -> None:
    # GIVEN a serial scanner configured at a path where nothing is plugged in yet
    link = tmp_path / "ttyACM0"
    config = Scanner(type="serial", device=str(link), retry_seconds=0.2)
    seen = Codes()
    thread = ScannerThread(config, seen.code, seen.changed)
    running.append(thread)
    thread.start()
    # THEN it is reported missing
    until(lambda: seen.health == [ScannerHealth.MISSING], what="missing")
    # WHEN it is plugged in (a pty appears at the path) and scans, in pieces
    master, slave, name = _pty()
    link.symlink_to(name)
    until(lambda: ScannerHealth.OK in seen.health, what="the scanner found")
    os.write(master, b"E-7K")
    os.write(master, b"3M9Q\r\nnot a code\n")
    # THEN the codes arrive whole, in order
    until(lambda: len(seen.codes) == 2, what="two codes")
    assert seen.codes == ["E-7K3M9Q", "not a code"]
    # WHEN it is unplugged (the pty's far end closes) THEN it has failed
    os.close(master)
    os.close(slave)
    until(lambda: ScannerHealth.FAILED in seen.health, what="failed")
    # AND WHEN a scanner is back at the path, it is read again
    link.unlink()
    master, slave, name = _pty()
    link.symlink_to(name)
    until(lambda: seen.health[-1] is ScannerHealth.OK, what="found again")
    os.write(master, b"B-111111\r")
    until(lambda: seen.codes[-1] == "B-111111", what="a code after the replug")
    thread.stop()
    os.close(master)
    os.close(slave)
    # (While nothing was at the path between the two pty pairs, it may have been missing.)
    assert seen.health[:3] == [ScannerHealth.MISSING, ScannerHealth.OK, ScannerHealth.FAILED]
    assert seen.health[-1] is ScannerHealth.OK
    assert set(seen.health[3:-1]) <= {ScannerHealth.MISSING}


def test_a_keyboard_scanner_reads_recorded_events_from_its_device_file(
    tmp_path: Path, running: list[ScannerThread]
) -> None:
    # GIVEN a FIFO standing in for the input device (no grab: a FIFO cannot be grabbed)
    device = tmp_path / "event-kbd"
    os.mkfifo(device)
    writer_fd = os.open(device, os.O_RDWR)  # held open so the reader never sees an end
    config = Scanner(type="keyboard", device=str(device), grab=False, retry_seconds=0.2)
    seen = Codes()
    thread = ScannerThread(config, seen.code, seen.changed)
    running.append(thread)
    thread.start()
    until(lambda: seen.health == [ScannerHealth.OK], what="the device open")
    # WHEN recorded events arrive, split inside a record
    data = record(typing("E-7K3M9Q"))
    os.write(writer_fd, data[:50])
    os.write(writer_fd, data[50:])
    # THEN the code comes out
    until(lambda: seen.codes == ["E-7K3M9Q"], what="the code")
    thread.stop()
    os.close(writer_fd)


def test_a_device_that_cannot_be_grabbed_fails_with_why(tmp_path: Path) -> None:
    # GIVEN a file that is no input device WHEN it is opened with grab THEN it fails
    device = tmp_path / "event-kbd"
    device.write_bytes(b"")
    with pytest.raises(ScannerError) as raised:
        KeyboardReader(Scanner(type="keyboard", device=str(device)))
    assert "cannot grab" in str(raised.value)
    assert not raised.value.missing


def test_a_missing_keyboard_scanner_is_missing() -> None:
    with pytest.raises(ScannerError) as raised:
        open_reader(Scanner(type="keyboard", device="/dev/input/by-id/no-such-scanner"))
    assert raised.value.missing
