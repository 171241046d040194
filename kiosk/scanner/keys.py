"""A keyboard-wedge scanner's key events into whole codes: US layout, up to Enter.

The scanner types each code as key presses and ends it with Enter. The kernel hands
them out as `struct input_event` records; `decode_keys` turns them into codes, a pure
function of the events and what was typed so far, so it is tested with recorded events.
"""

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.scanner.lines import MAX_LINE

# struct input_event: a struct timeval (two longs: seconds and microseconds), then
# type, code and value. The kernel's own longs, so native `l` fits 64-bit Pi OS
# (24 bytes) and 32-bit armhf (16 bytes), with a 64-bit time_t too (the kernel
# defines the record with __kernel_ulong_t there).
EVENT = struct.Struct("llHHi")
EV_KEY = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2

KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 42, 54
ENTER_KEYS = frozenset({28, 96})  # KEY_ENTER, KEY_KPENTER
SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})


def _row(first_code: int, plain: str, shifted: str) -> dict[int, tuple[str, str]]:
    return {first_code + i: pair for i, pair in enumerate(zip(plain, shifted, strict=True))}


# linux/input-event-codes.h, US layout: key code -> (plain, with shift).
KEYMAP: dict[int, tuple[str, str]] = {
    **_row(2, "1234567890-=", "!@#$%^&*()_+"),
    **_row(16, "qwertyuiop[]", "QWERTYUIOP{}"),
    **_row(30, "asdfghjkl;'`", 'ASDFGHJKL:"~'),
    **_row(43, "\\zxcvbnm,./", "|ZXCVBNM<>?"),
    57: (" ", " "),
    # The keypad: some scanners type digits there.
    **_row(71, "789-456+1230.", "789-456+1230."),
    55: ("*", "*"),
    98: ("/", "/"),
}


@dataclass(frozen=True, slots=True)
class Typed:
    """What the scanner has typed of the code in hand: the text and the shift keys down."""

    text: str = ""
    shift: frozenset[int] = frozenset()
    # A code over MAX_LINE characters: the rest, up to Enter, is dropped too.
    overlong: bool = False


def decode_keys(events: Iterable[tuple[int, int, int]], typed: Typed) -> tuple[list[str], Typed]:
    """The codes completed by `events` (type, code, value) and what is typed after them."""
    # Only key presses and auto-repeats type; an unknown key types nothing (a scanner set
    # to another layout gives a code that fails to parse, not a crash).
    codes: list[str] = []
    text, shift, overlong = typed.text, set(typed.shift), typed.overlong
    for kind, code, value in events:
        if kind != EV_KEY:
            continue
        if code in SHIFT_KEYS:
            if value == KEY_UP:
                shift.discard(code)
            else:
                shift.add(code)
            continue
        if value == KEY_UP:
            continue
        if code in ENTER_KEYS:
            if text and not overlong:
                codes.append(text)
            text, overlong = "", False
            continue
        pair = KEYMAP.get(code)
        if pair is None or overlong:
            continue
        text += pair[1] if shift else pair[0]
        if len(text) > MAX_LINE:
            text, overlong = "", True
    return codes, Typed(text, frozenset(shift), overlong)


def parse_events(data: bytes) -> list[tuple[int, int, int]]:
    """(type, code, value) of each whole `struct input_event` record in `data`."""
    usable = len(data) - len(data) % EVENT.size
    return [(kind, code, value) for _, _, kind, code, value in EVENT.iter_unpack(data[:usable])]


def record(events: Iterable[tuple[int, int, int]]) -> bytes:
    """`struct input_event` records of `events`, as the kernel writes them (time zero)."""
    return b"".join(EVENT.pack(0, 0, kind, code, value) for kind, code, value in events)
