"""Fits text into boxes on the lobby screen and renders each text once.

Text is rendered once per (text, size, colours) and kept in an LRU cache, converted
to the target surface's pixel format so that blits are plain copies.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

import pygame

Colour = tuple[int, int, int]
Align = Literal["left", "center", "right"]

# Debian's fonts-dejavu-core; pygame's own default font (freesansbold) when absent.
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

ELLIPSIS = "\u2026"


def default_font_path() -> Path | None:
    return DEJAVU_BOLD if DEJAVU_BOLD.is_file() else None


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
