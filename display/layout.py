"""Where each part of the lobby screen lies, and the words it shows there.

The layout is a set of rectangles computed from the surface size, so 1920x1080 and
1366x768 (or a development window) look alike. The words are Indonesian (with English
labels beside them when the site asks), whatever the locale of the device.
"""

import datetime as dt
from dataclasses import dataclass

import pygame

from display.model import CallShown

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

NEWEST_LABEL = ("NOMOR ANTREAN", "QUEUE NUMBER")
RECENT_LABEL = ("PANGGILAN SEBELUMNYA", "PREVIOUS CALLS")
WAITING_LABEL = ("MENUNGGU", "WAITING")
OFFLINE_LABEL = ("TERPUTUS", "OFFLINE")
NO_CALL_YET = "BELUM ADA PANGGILAN"
ARROW = "\u2192"
ELLIPSIS = "\u2026"

RECENT_ROWS = 4
# A waiting column holds at most this many rows; a second column opens beyond it.
WAITING_ROWS_PER_COLUMN = 12
# Rows are never taller than this share of the list, so two services do not look huge.
WAITING_MIN_ROWS = 6
# A counter's name is never drawn smaller than this share of the screen height (a font
# size of 49 px at 1080 lines, 35 at 768: capitals about 2.3 cm tall on a 55-inch TV),
# a little under the size of the recent calls' "LOKET 5", so that it can be read from
# the back of the hall; a longer name is wrapped, then abbreviated (`counter_names`).
COUNTER_MIN_SHARE = 0.045
# A word of a counter's name longer than this is shortened to its first letters and a
# full stop when the name must be abbreviated ("PRIORITAS" -> "PRIOR.").
ABBREVIATED_LETTERS = 5


def clock_text(now: dt.datetime) -> str:
    """ "Senin, 30 November 2026  09:12", with Indonesian names whatever the locale."""
    return f"{day_text(now)}, {date_text(now)}  {time_text(now)}"


def day_text(now: dt.datetime) -> str:
    return HARI[now.weekday()]


def date_text(now: dt.datetime) -> str:
    return f"{now.day} {BULAN[now.month - 1]} {now.year}"


def time_text(now: dt.datetime) -> str:
    return f"{now.hour:02d}:{now.minute:02d}"


def counter_text(call: CallShown) -> str:
    """ "→ LOKET 5"."""
    return f"{ARROW} {call.counter_name.upper()}"


def counter_names(text: str) -> list[str]:
    """A counter's text ("→ LOKET PRIORITAS LANSIA 12"), then ever shorter forms of it
    for a box it does not fit, keeping its first word and any word with a digit (the
    counter's number):

    - its long words abbreviated: "→ LOKET PRIOR. LANSIA 12";
    - its other words dropped: "→ LOKET … 12" (only if the name has a number).
    """
    words = text.split()
    if not words:
        return [text]
    arrow = words[0] == ARROW
    head = words[: 2 if arrow else 1]
    rest = words[len(head) :]

    def kept(word: str) -> bool:
        return any(c.isdigit() for c in word)

    def short(word: str) -> str:
        if kept(word) or len(word) <= ABBREVIATED_LETTERS + 1:
            return word
        return word[:ABBREVIATED_LETTERS] + "."

    names = [" ".join(words)]
    abbreviated = " ".join([*head, *(short(w) for w in rest)])
    if abbreviated not in names:
        names.append(abbreviated)
    numbers = [w for w in rest if kept(w)]
    if numbers and len(numbers) < len(rest):
        names.append(" ".join([*head, ELLIPSIS, *numbers]))
    return names


def halves(text: str) -> tuple[str, str]:
    """`text` broken at the space nearest its middle."""
    words = text.split()
    if len(words) < 2:
        return text, ""
    half = len(text) / 2
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - half))
    return " ".join(words[:cut]), " ".join(words[cut:])


def waiting_parts(row: pygame.Rect) -> tuple[pygame.Rect, pygame.Rect, pygame.Rect]:
    """A waiting row's prefix square, name box and count box."""
    side = row.h * 7 // 10
    gap = max(4, row.h // 6)
    prefix = pygame.Rect(row.x, row.centery - side // 2, side, side)
    count = pygame.Rect(0, 0, max(row.w // 5, row.h), row.h // 2)
    count.midright = row.midright
    name = pygame.Rect(prefix.right + gap, row.y, count.x - gap * 2 - prefix.right, row.h)
    name.inflate_ip(0, -row.h * 3 // 20)
    return prefix, name, count


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each region of the screen lies; everything scales with the surface size."""

    size: tuple[int, int]
    margin: int
    # The smallest font size of a counter's name (COUNTER_MIN_SHARE).
    counter_min_size: int
    header: pygame.Rect
    site_name: pygame.Rect
    offline_badge: pygame.Rect
    clock: pygame.Rect
    newest: pygame.Rect
    newest_label: pygame.Rect
    newest_number: pygame.Rect
    newest_counter: pygame.Rect
    recent: pygame.Rect
    recent_label: pygame.Rect
    recent_rows: tuple[pygame.Rect, ...]
    waiting: pygame.Rect
    waiting_label: pygame.Rect
    waiting_list: pygame.Rect
    notice: pygame.Rect

    @classmethod
    def for_size(cls, width: int, height: int) -> "Layout":
        m = round(height * 0.018)
        header = pygame.Rect(0, 0, width, round(height * 0.11))
        notice_h = round(height * 0.08)
        notice = pygame.Rect(0, height - notice_h, width, notice_h)

        # Header: site name on the left, the offline badge's place, the clock on the right.
        hy, hh = header.y + round(header.h * 0.1), round(header.h * 0.8)
        site_name = pygame.Rect(m * 2, hy, round(width * 0.39) - m * 2, hh)
        offline_badge = pygame.Rect(round(width * 0.405), hy, round(width * 0.17), hh)
        clock_x = offline_badge.right + m
        clock = pygame.Rect(clock_x, hy, width - m * 2 - clock_x, hh)

        body_top, body_bottom = header.bottom + m, notice.top - m
        body_h = body_bottom - body_top
        split = round(width * 0.6)
        newest = pygame.Rect(m, body_top, split - m - m // 2, round(body_h * 0.56))
        recent = pygame.Rect(m, newest.bottom + m, newest.w, body_bottom - newest.bottom - m)
        waiting_x = split + m // 2
        waiting = pygame.Rect(waiting_x, body_top, width - m - waiting_x, body_h)

        label_h = round(height * 0.028)
        inner = newest.inflate(-4 * m, -2 * m)
        newest_label = pygame.Rect(inner.x, inner.y + m // 2, inner.w, label_h)
        rest_top = newest_label.bottom + m
        rest_h = inner.bottom - rest_top
        newest_number = pygame.Rect(inner.x, rest_top, inner.w, round(rest_h * 0.6))
        counter_top = newest_number.bottom + m
        newest_counter = pygame.Rect(inner.x, counter_top, inner.w, inner.bottom - counter_top)

        inner = recent.inflate(-4 * m, -2 * m)
        recent_label = pygame.Rect(inner.x, inner.y + m // 2, inner.w, label_h)
        rows_top = recent_label.bottom + m // 2
        row_h = (inner.bottom - rows_top) // RECENT_ROWS
        recent_rows = tuple(
            pygame.Rect(inner.x, rows_top + i * row_h, inner.w, row_h) for i in range(RECENT_ROWS)
        )

        inner = waiting.inflate(-4 * m, -2 * m)
        waiting_label = pygame.Rect(inner.x, inner.y + m // 2, inner.w, label_h)
        list_top = waiting_label.bottom + m // 2
        waiting_list = pygame.Rect(inner.x, list_top, inner.w, inner.bottom - list_top)

        return cls(
            size=(width, height),
            margin=m,
            counter_min_size=max(10, round(height * COUNTER_MIN_SHARE)),
            header=header,
            site_name=site_name,
            offline_badge=offline_badge,
            clock=clock,
            newest=newest,
            newest_label=newest_label,
            newest_number=newest_number,
            newest_counter=newest_counter,
            recent=recent,
            recent_label=recent_label,
            recent_rows=recent_rows,
            waiting=waiting,
            waiting_label=waiting_label,
            waiting_list=waiting_list,
            notice=notice,
        )

    def regions(self) -> dict[str, pygame.Rect]:
        """The top-level regions; they tile the screen without overlapping."""
        return {
            "header": self.header,
            "newest": self.newest,
            "recent": self.recent,
            "waiting": self.waiting,
            "notice": self.notice,
        }
