"""Paints a `ScreenModel` on the lobby TV with pygame, redrawing only what changed.

Each region of the layout (`display.layout`) remembers what it last showed; `paint`
redraws a region only when that changes and returns the dirty rectangles for
`pygame.display.update(rects)`. The notice ticker is the exception: it moves, so its
strip is redrawn on every paint while a notice is set. Text is fitted and rendered by
`display.text_render`. `open_surface` opens the surface as the display and its
self-test do.
"""

import math
import os
import time
from collections.abc import Callable, Hashable
from pathlib import Path

import pygame

from display.layout import (
    NEWEST_LABEL,
    NO_CALL_YET,
    OFFLINE_LABEL,
    RECENT_LABEL,
    RECENT_ROWS,
    WAITING_LABEL,
    WAITING_MIN_ROWS,
    WAITING_ROWS_PER_COLUMN,
    Layout,
    clock_text,
    counter_names,
    counter_text,
    date_text,
    day_text,
    halves,
    time_text,
    waiting_parts,
)
from display.model import CallShown, ScreenModel, WaitingShown
from display.text_render import Align, Colour, Fitted, TextRenderer, default_font_path

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

# Ticker speed as a share of the screen width per second: about 11 s to cross it.
TICKER_SPEED = 0.09
# The central sets the notice; a runaway one would make a huge surface.
NOTICE_MAX_CHARS = 500


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
            time_text(model.now), time_box, TEXT, HEADER_BG, align="right", tight=True
        )
        gap = self.layout.margin
        date_h = rect.h * 2 // 5
        date_w = shown.left - gap - rect.x
        day = pygame.Rect(rect.x, rect.centery - date_h, date_w, date_h)
        date = pygame.Rect(rect.x, rect.centery, date_w, date_h)
        size = self.text.fit(date_text(model.now), date.w, date.h).size
        for text, box in ((day_text(model.now), day), (date_text(model.now), date)):
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
        return max(floor, min(self.text.fit(t, box.w, box.h // 2).size for t in halves(text)))

    def _draw_lines(self, text: str, box: pygame.Rect, size: int, fg: Colour, bg: Colour) -> None:
        """Left-aligned `text` at `size`: on one line if it fits, else on two."""
        line = self.text.fit(text, box.w, box.h, min_size=size, max_size=size)
        if line.text == text or " " not in text.strip():
            self.text.blit(line, box, fg, bg, "left")
            return
        top = pygame.Rect(box.x, box.y, box.w, box.h // 2)
        bottom = pygame.Rect(box.x, top.bottom, box.w, box.h - top.h)
        lines = halves(text)
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
        self._draw_counter(call, layout.newest_counter, counter_fg, bg, "center")

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
            self._draw_counter(call, counter, TEXT, PANEL_BG, "left")

    def counter_lines(self, call: CallShown, box: pygame.Rect) -> list[Fitted]:
        """The counter of `call` as it fits `box`, in one line or two, at one size that is
        never below the layout's `counter_min_size`: the name itself if it fits so, on
        one line or broken in two (the larger), else its abbreviations (`counter_names`),
        else the shortest of them cut with "…"."""
        smallest = self.layout.counter_min_size
        names = counter_names(counter_text(call))
        for name in names:
            lines = self._one_or_two_lines(name, box)
            if lines[0].size >= smallest and all(
                line.text == part
                for line, part in zip(lines, self._parts(name, lines), strict=True)
            ):
                return lines
        return [
            self.text.fit(names[-1], box.w, box.h, tight=True, min_size=smallest, max_size=smallest)
        ]

    def _one_or_two_lines(self, text: str, box: pygame.Rect) -> list[Fitted]:
        one = self.text.fit(text, box.w, box.h, tight=True)
        first, second = halves(text)
        if not second:
            return [one]
        line_h = (box.h - box.h // 10) // 2
        size = min(self.text.fit(part, box.w, line_h, tight=True).size for part in (first, second))
        if size <= one.size:
            return [one]
        return [
            self.text.fit(part, box.w, line_h, tight=True, min_size=size, max_size=size)
            for part in (first, second)
        ]

    @staticmethod
    def _parts(text: str, lines: list[Fitted]) -> tuple[str, ...]:
        return (text,) if len(lines) == 1 else halves(text)

    def _draw_counter(
        self, call: CallShown, box: pygame.Rect, fg: Colour, bg: Colour, align: Align
    ) -> None:
        lines = self.counter_lines(call, box)
        if len(lines) == 1:
            self.text.blit(lines[0], box, fg, bg, align)
            return
        line_h = (box.h - box.h // 10) // 2
        top = pygame.Rect(box.x, box.y, box.w, line_h)
        bottom = pygame.Rect(box.x, box.bottom - line_h, box.w, line_h)
        for line, line_box in zip(lines, (top, bottom), strict=True):
            self.text.blit(line, line_box, fg, bg, align)

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
        name_box = waiting_parts(boxes[0])[1]
        name_size = min((self._lines_size(s.name, name_box) for s in services), default=1)
        for i, (service, box) in enumerate(zip(services, boxes, strict=False)):
            if i % rows:
                pygame.draw.line(self.surface, SEPARATOR, box.topleft, box.topright, 2)
            self._waiting_row(service, box, name_size)
        if hidden:
            more = boxes[len(services)].inflate(0, -boxes[0].h // 2)
            self.text.draw(f"+{hidden} layanan lain", more, LABEL, PANEL_BG, align="left")

    def _waiting_row(self, service: WaitingShown, box: pygame.Rect, name_size: int) -> None:
        prefix, name, count = waiting_parts(box)
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


# --- the display's surface (`antre-display` and its self-test open it alike) ---

# The size drawn at when there is no screen (`--headless`) and no `--window` is given.
HEADLESS_SIZE = (1920, 1080)


def use_dummy_drivers() -> None:
    """No screen and no sound card (`--headless`): SDL draws and plays into nothing.
    Read by SDL when pygame starts, not when it is imported: call it before."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ["SDL_AUDIODRIVER"] = "dummy"


def open_surface(window: tuple[int, int] | None, headless: bool) -> pygame.Surface:
    """The display's surface: full screen at the mode the TV is in, or a window of
    `window`'s size (development; headless, 1920x1080 unless told). Raises pygame.error
    when the screen cannot be opened."""
    if headless or window:
        return pygame.display.set_mode(window or HEADLESS_SIZE)
    pygame.mouse.set_visible(False)
    return pygame.display.set_mode((0, 0), pygame.FULLSCREEN)


def window_size(text: str) -> tuple[int, int]:
    """`--window 1366x768` as (1366, 768)."""
    width, _, height = text.lower().partition("x")
    return int(width), int(height)
