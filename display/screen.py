"""Paints a `ScreenModel` on the lobby TV with pygame, redrawing only what changed.

The layout is a set of rectangles computed from the surface size, so 1920x1080 and
1366x768 (or a development window) look alike. Each region remembers what it last
showed; `paint` redraws a region only when that changes and returns the dirty
rectangles for `pygame.display.update(rects)`. The notice ticker is the exception: it
moves, so its strip is redrawn on every paint while a notice is set.

Text is rendered once per (text, size, colours) and kept in an LRU cache, converted
to the target surface's pixel format so that blits are plain copies.
"""

import datetime as dt
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

import pygame

from display.model import CallShown, ScreenModel, WaitingShown

Colour = tuple[int, int, int]
Align = Literal["left", "center", "right"]

# Debian's fonts-dejavu-core; pygame's own default font (freesansbold) when absent.
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# High contrast for a lobby TV read from ten metres: a dark background, white and
# yellow text, and one bright panel for the call being made.
BACKGROUND: Colour = (6, 12, 28)
HEADER_BG: Colour = (16, 40, 92)
PANEL_BG: Colour = (18, 31, 60)
SEPARATOR: Colour = (40, 58, 96)
TEXT: Colour = (255, 255, 255)
ACCENT: Colour = (255, 204, 0)
LABEL: Colour = (150, 174, 216)
LABEL_EN: Colour = (104, 126, 170)
DATE_TEXT: Colour = (196, 210, 236)
PREFIX_BG: Colour = (44, 78, 148)
HIGHLIGHT_BG: Colour = ACCENT
HIGHLIGHT_TEXT: Colour = (0, 0, 0)
HIGHLIGHT_LABEL: Colour = (92, 68, 0)
OFFLINE_BG: Colour = (214, 0, 28)
OFFLINE_TEXT: Colour = TEXT
TICKER_BG: Colour = HEADER_BG
TICKER_TEXT: Colour = TEXT

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
# Ticker speed as a share of the screen width per second: about 11 s to cross it.
TICKER_SPEED = 0.09
# The central sets the notice; a runaway one would make a huge surface.
NOTICE_MAX_CHARS = 500


def clock_text(now: dt.datetime) -> str:
    """ "Senin, 30 November 2026  09:12", with Indonesian names whatever the locale."""
    return f"{_day_text(now)}, {_date_text(now)}  {_time_text(now)}"


def _day_text(now: dt.datetime) -> str:
    return HARI[now.weekday()]


def _date_text(now: dt.datetime) -> str:
    return f"{now.day} {BULAN[now.month - 1]} {now.year}"


def _time_text(now: dt.datetime) -> str:
    return f"{now.hour:02d}:{now.minute:02d}"


def counter_text(call: CallShown) -> str:
    """ "→ LOKET 5"."""
    return f"{ARROW} {call.counter_name.upper()}"


def _halves(text: str) -> tuple[str, str]:
    """`text` broken at the space nearest its middle."""
    words = text.split()
    if len(words) < 2:
        return text, ""
    half = len(text) / 2
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - half))
    return " ".join(words[:cut]), " ".join(words[cut:])


def _waiting_parts(row: pygame.Rect) -> tuple[pygame.Rect, pygame.Rect, pygame.Rect]:
    """A waiting row's prefix square, name box and count box."""
    side = row.h * 7 // 10
    gap = max(4, row.h // 6)
    prefix = pygame.Rect(row.x, row.centery - side // 2, side, side)
    count = pygame.Rect(0, 0, max(row.w // 5, row.h), row.h // 2)
    count.midright = row.midright
    name = pygame.Rect(prefix.right + gap, row.y, count.x - gap * 2 - prefix.right, row.h)
    name.inflate_ip(0, -row.h * 3 // 20)
    return prefix, name, count


def default_font_path() -> Path | None:
    return DEJAVU_BOLD if DEJAVU_BOLD.is_file() else None


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each region of the screen lies; everything scales with the surface size."""

    size: tuple[int, int]
    margin: int
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


@dataclass(frozen=True, slots=True)
class Fitted:
    """A text at the size that fits its box; `area` is the part of the render to show."""

    text: str
    size: int
    area: pygame.Rect


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """Least recently used first out, once the items weigh more than `capacity`.

    By default each item weighs 1; rendered text weighs its bytes, since one big
    call number at 1080p weighs as much as hundreds of small labels.
    """

    def __init__(self, capacity: int, weigh: Callable[[V], int] = lambda value: 1) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._capacity = capacity
        self._weigh = weigh
        self._weight = 0

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        old = self._items.pop(key, None)
        if old is not None:
            self._weight -= self._weigh(old)
        self._items[key] = value
        self._weight += self._weigh(value)
        while self._weight > self._capacity and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self._weight -= self._weigh(dropped)
        return value


RENDER_CACHE_BYTES = 24 * 1024 * 1024


def _surface_bytes(surface: pygame.Surface) -> int:
    return surface.get_width() * surface.get_height() * surface.get_bytesize()


class TextRenderer:
    """Fits text into boxes and renders each (text, size, colours) once."""

    def __init__(self, font_path: Path | None, target: pygame.Surface) -> None:
        self._font_path = font_path
        self._target = target
        self._fonts: _Lru[int, pygame.font.Font] = _Lru(48)
        self._fits: _Lru[tuple[object, ...], Fitted] = _Lru(1024)
        # Rendered text, up to RENDER_CACHE_BYTES: a Pi Zero 2 has 512 MB in all.
        self._renders: _Lru[tuple[object, ...], pygame.Surface] = _Lru(
            RENDER_CACHE_BYTES, weigh=_surface_bytes
        )
        self.render_count = 0

    def font(self, size: int) -> pygame.font.Font:
        font = self._fonts.get(size)
        if font is None:
            font = self._fonts.put(size, pygame.font.Font(self._font_path, size))
        return font

    def fit(
        self,
        text: str,
        width: int,
        height: int,
        *,
        tight: bool = False,
        min_size: int = 1,
        max_size: int | None = None,
    ) -> Fitted:
        """The largest size (down to `min_size`, then cut with "…") that fits the box.

        `tight` fits the ink of the glyphs rather than the font's line height, so
        capitals and digits fill the box.
        """
        key = (text, width, height, tight, min_size, max_size)
        fitted = self._fits.get(key)
        if fitted is None:
            fitted = self._fits.put(key, self._fit(text, width, height, tight, min_size, max_size))
        return fitted

    def _fit(
        self, text: str, width: int, height: int, tight: bool, min_size: int, max_size: int | None
    ) -> Fitted:
        size = max(1, int(height / (0.74 if tight else 1.18)))
        if max_size is not None:
            size = min(size, max_size)
        for _ in range(12):
            w, area = self._measure(text, size, tight)
            if w <= width and area.h <= height:
                break
            scale = min(width / max(w, 1), height / max(area.h, 1))
            smaller = min(size - 1, int(size * scale))
            if smaller < min_size:
                size = max(1, min_size)
                w, area = self._measure(text, size, tight)
                break
            size = smaller
        if w > width:
            text = self._cut(text, size, width)
            w, area = self._measure(text, size, tight)
        return Fitted(text, size, area)

    def _measure(self, text: str, size: int, tight: bool) -> tuple[int, pygame.Rect]:
        font = self.font(size)
        w, h = font.size(text)
        if not tight:
            return w, pygame.Rect(0, 0, w, h)
        inks = [m for m in font.metrics(text) if m is not None]
        if not inks:
            return w, pygame.Rect(0, 0, w, h)
        ascent = font.get_ascent()
        top = max(0, ascent - max(m[3] for m in inks))
        bottom = min(h, ascent - min(m[2] for m in inks) + 1)
        return w, pygame.Rect(0, top, w, max(1, bottom - top))

    def _cut(self, text: str, size: int, width: int) -> str:
        font = self.font(size)
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if font.size(text[:middle].rstrip() + ELLIPSIS)[0] <= width:
                low = middle
            else:
                high = middle - 1
        return text[:low].rstrip() + ELLIPSIS if low else ""

    def render(self, fitted: Fitted, fg: Colour, bg: Colour) -> pygame.Surface:
        key = (fitted.text, fitted.size, fg, bg)
        surface = self._renders.get(key)
        if surface is None:
            self.render_count += 1
            # Rendered on its background colour and in the target's format: blits
            # become copies, with no alpha blending or palette look-ups per frame.
            rendered = self.font(fitted.size).render(fitted.text, True, fg, bg)
            surface = self._renders.put(key, rendered.convert(self._target))
        return surface

    def blit(
        self, fitted: Fitted, box: pygame.Rect, fg: Colour, bg: Colour, align: Align
    ) -> pygame.Rect:
        """Draws a fitted text in `box`, centred vertically; returns where it landed."""
        if not fitted.text:
            return pygame.Rect(box.x, box.centery, 0, 0)
        area = fitted.area
        if align == "left":
            x = box.x
        elif align == "right":
            x = box.right - area.w
        else:
            x = box.centerx - area.w // 2
        y = box.centery - area.h // 2
        return self._target.blit(self.render(fitted, fg, bg), (x, y), area)

    def draw(
        self,
        text: str,
        box: pygame.Rect,
        fg: Colour,
        bg: Colour,
        *,
        align: Align = "center",
        tight: bool = False,
        min_size: int = 1,
        max_size: int | None = None,
    ) -> pygame.Rect:
        fitted = self.fit(text, box.w, box.h, tight=tight, min_size=min_size, max_size=max_size)
        return self.blit(fitted, box, fg, bg, align)


_Painter = Callable[[ScreenModel, pygame.Rect], None]


class Screen:
    """The lobby screen: paints models onto one surface, redrawing only what changed."""

    def __init__(
        self,
        surface: pygame.Surface,
        font_path: str | Path | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        pygame.font.init()
        self.surface = surface
        self.layout = Layout.for_size(*surface.get_size())
        path = Path(font_path) if font_path is not None else default_font_path()
        self.text = TextRenderer(path, surface)
        self.text.font(self.layout.margin)  # a missing or broken font fails here, not later
        self._clock = clock
        # What each region shows now, to tell whether it must be redrawn.
        self._shown: dict[str, Hashable] = {}
        self._notice = ""
        self._notice_since = 0.0
        self._radius = max(4, self.layout.margin)

    def paint(self, model: ScreenModel, *, force: bool = False) -> list[pygame.Rect]:
        """Draws what changed since the last paint (everything when forced or first)."""
        full = force or not self._shown
        if full:
            self._shown.clear()
            self.surface.fill(BACKGROUND)
            self.surface.fill(HEADER_BG, self.layout.header)
        notice = model.notice[:NOTICE_MAX_CHARS]
        if notice != self._notice:
            self._notice, self._notice_since = notice, self._clock()
        dirty = []
        for name, rect, shown, painter in self._regions(model):
            moving = name == "notice" and bool(notice)
            if not moving and name in self._shown and self._shown[name] == shown:
                continue
            painter(model, rect)
            self._shown[name] = shown
            dirty.append(rect)
        return [self.surface.get_rect()] if full else dirty

    def _regions(self, model: ScreenModel) -> list[tuple[str, pygame.Rect, Hashable, _Painter]]:
        layout, newest = self.layout, model.newest
        recent = tuple((c.number, c.counter_name) for c in model.recent[:RECENT_ROWS])
        return [
            ("site", layout.site_name, model.site_name, self._paint_site_name),
            ("clock", layout.clock, clock_text(model.now), self._paint_clock),
            ("offline", layout.offline_badge, (model.offline, model.english), self._paint_badge),
            (
                "newest",
                layout.newest,
                (newest and (newest.number, newest.counter_name), model.highlight, model.english),
                self._paint_newest,
            ),
            ("recent", layout.recent, (recent, model.english), self._paint_recent),
            ("waiting", layout.waiting, (model.waiting, model.english), self._paint_waiting),
            ("notice", layout.notice, self._notice, self._paint_notice),
        ]

    # --- header ---

    def _paint_site_name(self, model: ScreenModel, rect: pygame.Rect) -> None:
        self.surface.fill(HEADER_BG, rect)
        box = rect.inflate(0, -rect.h // 5)
        size = self._lines_size(model.site_name, box)
        self._draw_lines(model.site_name, box, size, TEXT, HEADER_BG)

    def _paint_clock(self, model: ScreenModel, rect: pygame.Rect) -> None:
        self.surface.fill(HEADER_BG, rect)
        time_box = pygame.Rect(0, 0, rect.w * 2 // 5, rect.h * 3 // 5)
        time_box.midright = rect.midright
        shown = self.text.draw(
            _time_text(model.now), time_box, TEXT, HEADER_BG, align="right", tight=True
        )
        gap = self.layout.margin
        date_h = rect.h * 2 // 5
        date_w = shown.left - gap - rect.x
        day = pygame.Rect(rect.x, rect.centery - date_h, date_w, date_h)
        date = pygame.Rect(rect.x, rect.centery, date_w, date_h)
        size = self.text.fit(_date_text(model.now), date.w, date.h).size
        for text, box in ((_day_text(model.now), day), (_date_text(model.now), date)):
            self.text.draw(text, box, DATE_TEXT, HEADER_BG, align="right", max_size=size)

    def _paint_badge(self, model: ScreenModel, rect: pygame.Rect) -> None:
        self.surface.fill(HEADER_BG, rect)
        if not model.offline:
            return
        pygame.draw.rect(self.surface, OFFLINE_BG, rect, border_radius=self._radius)
        pygame.draw.rect(self.surface, TEXT, rect, width=3, border_radius=self._radius)
        inner = rect.inflate(-rect.h // 3, -rect.h // 4)
        if not model.english:
            self.text.draw(OFFLINE_LABEL[0], inner, OFFLINE_TEXT, OFFLINE_BG, tight=True)
            return
        top = pygame.Rect(inner.x, inner.y, inner.w, inner.h * 11 // 20)
        bottom = pygame.Rect(inner.x, top.bottom + inner.h // 10, inner.w, inner.h * 7 // 20)
        self.text.draw(OFFLINE_LABEL[0], top, OFFLINE_TEXT, OFFLINE_BG, tight=True)
        self.text.draw(OFFLINE_LABEL[1], bottom, OFFLINE_TEXT, OFFLINE_BG, tight=True)

    def _lines_size(self, text: str, box: pygame.Rect) -> int:
        """The size for `text` in `box`: on one line of half its height, or on two."""
        one_line = self.text.fit(text, box.w, box.h * 11 // 20)
        natural = self.text.fit("Ag", box.w, box.h * 11 // 20).size
        if one_line.size >= natural * 4 // 5 or " " not in text.strip():
            return one_line.size
        # Below three fifths of what the height allows, lines are cut rather than shrunk.
        floor = self.text.fit("Ag", box.w, box.h // 2).size * 3 // 5
        return max(floor, min(self.text.fit(t, box.w, box.h // 2).size for t in _halves(text)))

    def _draw_lines(self, text: str, box: pygame.Rect, size: int, fg: Colour, bg: Colour) -> None:
        """Left-aligned `text` at `size`: on one line if it fits, else on two."""
        line = self.text.fit(text, box.w, box.h, min_size=size, max_size=size)
        if line.text == text or " " not in text.strip():
            self.text.blit(line, box, fg, bg, "left")
            return
        top = pygame.Rect(box.x, box.y, box.w, box.h // 2)
        bottom = pygame.Rect(box.x, top.bottom, box.w, box.h - top.h)
        lines = _halves(text)
        font = self.text.font(size)
        if max(font.size(line)[0] for line in lines) > box.w:
            # Balanced halves do not fit: fill the first line, cut the second with "…".
            words = text.split()
            taken = max(
                (n for n in range(1, len(words)) if font.size(" ".join(words[:n]))[0] <= box.w),
                default=1,
            )
            lines = (" ".join(words[:taken]), " ".join(words[taken:]))
        for part, part_box in zip(lines, (top, bottom), strict=True):
            fitted = self.text.fit(part, box.w, part_box.h, min_size=size, max_size=size)
            self.text.blit(fitted, part_box, fg, bg, "left")

    # --- body ---

    def _panel(self, rect: pygame.Rect, colour: Colour) -> None:
        self.surface.fill(BACKGROUND, rect)
        pygame.draw.rect(self.surface, colour, rect, border_radius=self._radius)

    def _label(
        self, box: pygame.Rect, words: tuple[str, str], english: bool, colours: tuple[Colour, ...]
    ) -> None:
        fg, fg_en, bg = colours
        indonesian = self.text.fit(words[0], box.w, box.h, tight=True)
        shown = self.text.blit(indonesian, box, fg, bg, "left")
        if not english:
            return
        gap = self.layout.margin * 2
        rest = pygame.Rect(shown.right + gap, box.y, box.right - shown.right - gap, box.h)
        fitted = self.text.fit(words[1], rest.w, rest.h, tight=True, max_size=indonesian.size)
        # Where little room is left, English too small to read is left out.
        if fitted.size >= indonesian.size * 3 // 5:
            self.text.blit(fitted, rest, fg_en, bg, "left")

    def _paint_newest(self, model: ScreenModel, rect: pygame.Rect) -> None:
        layout, call = self.layout, model.newest
        if model.highlight:
            bg, number_fg, counter_fg = HIGHLIGHT_BG, HIGHLIGHT_TEXT, HIGHLIGHT_TEXT
            label = (HIGHLIGHT_LABEL, HIGHLIGHT_LABEL, bg)
        else:
            bg, number_fg, counter_fg = PANEL_BG, ACCENT, TEXT
            label = (LABEL, LABEL_EN, bg)
        self._panel(rect, bg)
        self._label(layout.newest_label, NEWEST_LABEL, model.english, label)
        if call is None:
            box = layout.newest_number.inflate(0, -layout.newest_number.h * 3 // 5)
            self.text.draw(NO_CALL_YET, box, label[0], bg, tight=True)
            return
        self.text.draw(call.number, layout.newest_number, number_fg, bg, tight=True)
        self.text.draw(counter_text(call), layout.newest_counter, counter_fg, bg, tight=True)

    def _paint_recent(self, model: ScreenModel, rect: pygame.Rect) -> None:
        layout = self.layout
        self._panel(rect, PANEL_BG)
        self._label(layout.recent_label, RECENT_LABEL, model.english, (LABEL, LABEL_EN, PANEL_BG))
        for i, (call, row) in enumerate(zip(model.recent, layout.recent_rows, strict=False)):
            if i:
                pygame.draw.line(self.surface, SEPARATOR, row.topleft, row.topright, 2)
            text_h = row.h * 13 // 20
            number = pygame.Rect(row.x, row.centery - text_h // 2, row.w * 2 // 5, text_h)
            counter = pygame.Rect(number.right, number.y, row.right - number.right, text_h)
            self.text.draw(call.number, number, ACCENT, PANEL_BG, align="left", tight=True)
            self.text.draw(counter_text(call), counter, TEXT, PANEL_BG, align="left", tight=True)

    def _paint_waiting(self, model: ScreenModel, rect: pygame.Rect) -> None:
        layout = self.layout
        self._panel(rect, PANEL_BG)
        self._label(layout.waiting_label, WAITING_LABEL, model.english, (LABEL, LABEL_EN, PANEL_BG))
        services = model.waiting
        columns = 1 if len(services) <= WAITING_ROWS_PER_COLUMN else 2
        slots = columns * WAITING_ROWS_PER_COLUMN
        hidden = 0
        if len(services) > slots:
            hidden = len(services) - (slots - 1)
            services = services[: slots - 1]
        rows = max(WAITING_MIN_ROWS, math.ceil((len(services) + (hidden > 0)) / columns))
        area = layout.waiting_list
        gap = layout.margin
        column_w = (area.w - gap * (columns - 1)) // columns
        row_h = area.h // rows
        boxes = [
            pygame.Rect(area.x + c * (column_w + gap), area.y + r * row_h, column_w, row_h)
            for c in range(columns)
            for r in range(rows)
        ]
        # One size for every name, so that no service looks more important than another.
        name_box = _waiting_parts(boxes[0])[1]
        name_size = min((self._lines_size(s.name, name_box) for s in services), default=1)
        for i, (service, box) in enumerate(zip(services, boxes, strict=False)):
            if i % rows:
                pygame.draw.line(self.surface, SEPARATOR, box.topleft, box.topright, 2)
            self._waiting_row(service, box, name_size)
        if hidden:
            more = boxes[len(services)].inflate(0, -boxes[0].h // 2)
            self.text.draw(f"+{hidden} layanan lain", more, LABEL, PANEL_BG, align="left")

    def _waiting_row(self, service: WaitingShown, box: pygame.Rect, name_size: int) -> None:
        prefix, name, count = _waiting_parts(box)
        side = prefix.h
        pygame.draw.rect(self.surface, PREFIX_BG, prefix, border_radius=max(3, side // 6))
        self.text.draw(service.prefix, prefix.inflate(-side // 4, -side * 2 // 5), TEXT, PREFIX_BG)
        self.text.draw(str(service.waiting), count, ACCENT, PANEL_BG, align="right", tight=True)
        self._draw_lines(service.name, name, name_size, TEXT, PANEL_BG)

    # --- notice ---

    def _paint_notice(self, model: ScreenModel, rect: pygame.Rect) -> None:
        self.surface.fill(TICKER_BG, rect)
        if not self._notice:
            return
        fitted = self.text.fit(self._notice, 10**7, rect.h * 3 // 5)
        text = self.text.render(fitted, TICKER_TEXT, TICKER_BG)
        # A new notice starts at the left edge, readable at once, and moves left; a copy
        # follows after a gap, so a long notice reads as one continuous line.
        cycle = max(text.get_width() + rect.w // 3, rect.w)
        travelled = int((self._clock() - self._notice_since) * TICKER_SPEED * rect.w)
        x = rect.x + self.layout.margin * 2 - travelled % cycle
        y = rect.centery - text.get_height() // 2
        clip = self.surface.get_clip()
        self.surface.set_clip(rect)
        self.surface.blit(text, (x, y))
        self.surface.blit(text, (x + cycle, y))
        self.surface.set_clip(clip)
