"""The lobby screen, painted headless on SDL's dummy video driver and checked by region.

Screenshots are saved as PNG under the test's temporary folder and checked region by
region (which colour dominates a panel, where text of a known colour lies), never
against golden images. With ANTRE_UPDATE_SCREENSHOTS=1 the 1080p one is also written
to docs/screenshots/ for people to look at.
"""

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame
import pytest

from display.layout import Layout, clock_text, counter_names
from display.model import CallShown, ScreenModel, WaitingShown
from display.screen import (
    ACCENT,
    HIGHLIGHT_BG,
    HIGHLIGHT_TEXT,
    LABEL,
    OFFLINE_BG,
    PANEL_BG,
    TEXT,
    TICKER_TEXT,
    Screen,
)
from display.screenshot import save_png
from display.text_render import Colour

WITA = ZoneInfo("Asia/Makassar")
NOW = dt.datetime(2026, 11, 30, 9, 12, 5, tzinfo=WITA)  # a Monday
SIZES = [pytest.param((1920, 1080), id="1080p"), pytest.param((1366, 768), id="768p")]
DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
EXACT = (1, 1, 1, 255)  # mask threshold that matches one colour exactly


class FakeClock:
    """Monotonic seconds, moved by hand: the ticker's position depends on it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def call(number: str, counter: int, service: str = "A") -> CallShown:
    return CallShown(
        id=f"call-{number}",
        number=number,
        counter_name=f"Loket {counter}",
        service=service,
        at=NOW,
    )


def full_model(**changes: Any) -> ScreenModel:
    """A busy morning: a call just made, four before it, six services, a notice."""
    model = ScreenModel(
        site_name="Mal Pelayanan Publik Kota Samarinda",
        now=NOW,
        newest=call("A023", 5),
        highlight=True,
        recent=(call("C014", 7, "C"), call("A022", 2), call("B031", 3, "B"), call("H009", 12)),
        waiting=(
            WaitingShown("A", "Paspor (permohonan baru dan penggantian)", 12),
            WaitingShown("B", "Perpanjangan SIM", 7),
            WaitingShown("C", "SKCK", 23),
            WaitingShown("D", "Layanan pengaduan dan informasi hukum", 0),
            WaitingShown("H", "KTP elektronik", 31),
            WaitingShown("I", "Kartu Keluarga dan akta", 4),
        ),
        notice="Selamat datang. Siapkan dokumen asli dan fotokopinya sebelum nomor Anda dipanggil.",
        english=True,
    )
    return replace(model, **changes)


@pytest.fixture(params=SIZES)
def size(request: pytest.FixtureRequest) -> tuple[int, int]:
    value: tuple[int, int] = request.param
    return value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def screen(size: tuple[int, int], clock: FakeClock) -> Screen:
    return Screen(pygame.Surface(size, 0, 32), clock=clock)


@pytest.fixture
def display_surface() -> Iterator[pygame.Surface]:
    """A real display mode on the dummy driver, as on the Pi (full screen there)."""
    pygame.display.init()
    try:
        yield pygame.display.set_mode((1920, 1080))
    finally:
        pygame.display.quit()


def dominant(surface: pygame.Surface, rect: pygame.Rect) -> Colour:
    """The most frequent colour on a grid of about 60x60 points over `rect`."""
    step_x, step_y = max(1, rect.w // 60), max(1, rect.h // 60)
    colours = Counter(
        tuple(surface.get_at((x, y)))[:3]
        for x in range(rect.x, rect.right, step_x)
        for y in range(rect.y, rect.bottom, step_y)
    )
    colour = colours.most_common(1)[0][0]
    return (colour[0], colour[1], colour[2])


def count(surface: pygame.Surface, rect: pygame.Rect, colour: Colour) -> int:
    """How many pixels in `rect` are exactly `colour`."""
    return pygame.mask.from_threshold(surface.subsurface(rect), colour, EXACT).count()


def ink(surface: pygame.Surface, rect: pygame.Rect, colour: Colour) -> pygame.Rect | None:
    """The bounding box (in surface coordinates) of the pixels of `colour` in `rect`."""
    boxes = pygame.mask.from_threshold(surface.subsurface(rect), colour, EXACT).get_bounding_rects()
    if not boxes:
        return None
    return boxes[0].unionall(boxes[1:]).move(rect.topleft)


def strictly_inside(inner: pygame.Rect, outer: pygame.Rect) -> bool:
    """Inside and not touching the edge: text cut off at the edge would touch it."""
    return outer.inflate(-4, -4).contains(inner)


def body(layout: Layout) -> pygame.Rect:
    """The band between the header and the ticker, the whole width."""
    return pygame.Rect(
        0, layout.header.bottom, layout.size[0], layout.notice.top - layout.header.bottom
    )


# --- layout ---


def test_layout_regions_fit_and_do_not_overlap(size: tuple[int, int]) -> None:
    layout = Layout.for_size(*size)
    whole = pygame.Rect((0, 0), size)
    regions = layout.regions()
    assert all(whole.contains(r) for r in regions.values())
    for (a, ra), (b, rb) in combinations(regions.items(), 2):
        assert not ra.colliderect(rb), f"{a} overlaps {b}"
    header_parts = [layout.site_name, layout.offline_badge, layout.clock]
    assert all(layout.header.contains(r) for r in header_parts)
    newest_parts = [layout.newest_label, layout.newest_number, layout.newest_counter]
    assert all(layout.newest.contains(r) for r in newest_parts)
    assert all(layout.recent.contains(r) for r in [layout.recent_label, *layout.recent_rows])
    assert layout.waiting.contains(layout.waiting_list)
    for parts in (header_parts, newest_parts, [layout.recent_label, *layout.recent_rows]):
        assert all(not a.colliderect(b) for a, b in combinations(parts, 2))


def test_layout_scales_with_the_screen() -> None:
    big, small = Layout.for_size(1920, 1080), Layout.for_size(1366, 768)
    names = [*big.regions(), "offline_badge", "newest_number", "newest_counter", "waiting_list"]
    for name in names:
        a, b = getattr(big, name), getattr(small, name)
        share_a = (a.x / 1920, a.y / 1080, a.w / 1920, a.h / 1080)
        share_b = (b.x / 1366, b.y / 768, b.w / 1366, b.h / 768)
        assert share_a == pytest.approx(share_b, abs=0.01), name


# --- what is drawn where ---


def test_screenshot_by_region(screen: Screen, size: tuple[int, int], tmp_path: Path) -> None:
    # GIVEN a busy morning, A023 just called to Loket 5
    surface, layout = screen.surface, screen.layout

    # WHEN it is painted and saved
    screen.paint(full_model())
    path = save_png(surface, tmp_path / f"display-{size[1]}p.png")
    if size == (1920, 1080) and os.environ.get("ANTRE_UPDATE_SCREENSHOTS") == "1":
        save_png(surface, DOCS_SCREENSHOT / "display-1080p.png")

    # THEN the PNG holds the screen, and each region shows its part
    assert pygame.image.load(str(path)).get_size() == size
    assert dominant(surface, layout.newest) == HIGHLIGHT_BG
    number_area = layout.newest_number.w * layout.newest_number.h
    assert count(surface, layout.newest_number, HIGHLIGHT_TEXT) > number_area // 10
    assert count(surface, layout.newest_counter, HIGHLIGHT_TEXT) > 0
    number_ink = ink(surface, surface.get_rect(), HIGHLIGHT_TEXT)
    assert number_ink is not None
    assert strictly_inside(number_ink, layout.newest)
    assert count(surface, layout.recent, ACCENT) > 0  # the earlier numbers
    assert count(surface, layout.waiting, ACCENT) > 0  # the waiting counts
    assert count(surface, layout.notice, TICKER_TEXT) > 0
    assert count(surface, layout.clock, TEXT) > 0
    assert count(surface, layout.offline_badge, OFFLINE_BG) == 0


def test_without_highlight_the_newest_panel_is_dark(screen: Screen) -> None:
    screen.paint(full_model(highlight=False))

    surface, layout = screen.surface, screen.layout
    assert dominant(surface, layout.newest) == PANEL_BG
    assert count(surface, layout.newest, HIGHLIGHT_BG) < count(surface, layout.newest, PANEL_BG)
    number_area = layout.newest_number.w * layout.newest_number.h
    assert count(surface, layout.newest_number, ACCENT) > number_area // 10


def test_highlight_ending_repaints_the_newest_panel_only(screen: Screen) -> None:
    screen.paint(full_model(notice=""))

    dirty = screen.paint(full_model(notice="", highlight=False))

    assert dirty == [screen.layout.newest]
    assert dominant(screen.surface, screen.layout.newest) == PANEL_BG


def test_before_any_call_the_panel_says_so(screen: Screen) -> None:
    screen.paint(full_model(newest=None, highlight=False, recent=()))

    layout = screen.layout
    assert count(screen.surface, layout.newest_number, LABEL) > 0
    assert count(screen.surface, layout.newest, ACCENT) == 0


def test_offline_badge_is_red_only_while_offline(screen: Screen) -> None:
    # GIVEN a screen painted while online
    layout = screen.layout
    model = full_model(notice="")
    screen.paint(model)
    assert dominant(screen.surface, layout.offline_badge) != OFFLINE_BG
    before = pygame.image.tobytes(screen.surface, "RGB")

    # WHEN Mosquitto is lost: THEN only the badge changes, to red
    assert screen.paint(replace(model, offline=True)) == [layout.offline_badge]
    assert dominant(screen.surface, layout.offline_badge) == OFFLINE_BG
    assert count(screen.surface, layout.offline_badge, TEXT) > 0
    assert dominant(screen.surface, layout.newest) == HIGHLIGHT_BG

    # WHEN it comes back: THEN the badge goes and the screen is as before
    assert screen.paint(model) == [layout.offline_badge]
    assert pygame.image.tobytes(screen.surface, "RGB") == before


# --- only what changed is redrawn ---


def test_same_model_again_redraws_only_the_ticker(screen: Screen, clock: FakeClock) -> None:
    model = full_model()
    assert screen.paint(model) == [screen.surface.get_rect()]
    clock.seconds += 1 / 30

    assert screen.paint(model) == [screen.layout.notice]


def test_same_model_without_notice_redraws_nothing(screen: Screen) -> None:
    model = full_model(notice="")
    screen.paint(model)

    assert screen.paint(model) == []
    assert screen.paint(replace(model, now=NOW + dt.timedelta(seconds=30))) == []


def test_waiting_count_change_redraws_only_the_waiting_panel(screen: Screen) -> None:
    model = full_model(notice="")
    screen.paint(model)
    waiting = (replace(model.waiting[0], waiting=13), *model.waiting[1:])

    assert screen.paint(replace(model, waiting=waiting)) == [screen.layout.waiting]


def test_clock_redrawn_when_the_minute_changes(screen: Screen) -> None:
    model = full_model(notice="")
    screen.paint(model)

    assert screen.paint(replace(model, now=NOW.replace(minute=13))) == [screen.layout.clock]


def test_new_call_redraws_newest_and_recent(screen: Screen) -> None:
    model = full_model(notice="")
    screen.paint(model)
    assert model.newest is not None

    dirty = screen.paint(
        replace(model, newest=call("A024", 1), recent=(model.newest, *model.recent[:3]))
    )

    assert dirty == [screen.layout.newest, screen.layout.recent]


def test_ticker_moves(screen: Screen, clock: FakeClock) -> None:
    model = full_model()
    screen.paint(model)
    before = pygame.image.tobytes(screen.surface.subsurface(screen.layout.notice), "RGB")

    clock.seconds += 0.5
    screen.paint(model)

    after = pygame.image.tobytes(screen.surface.subsurface(screen.layout.notice), "RGB")
    assert after != before


def test_text_is_rendered_once(screen: Screen) -> None:
    model = full_model()
    screen.paint(model)
    screen.paint(replace(model, highlight=False))
    rendered = screen.text.render_count

    screen.paint(model, force=True)
    screen.paint(replace(model, highlight=False))
    screen.paint(model)

    assert screen.text.render_count == rendered


# --- long texts are fitted, never spilled ---


def test_long_number_and_counter_fit_the_newest_panel(screen: Screen) -> None:
    long_counter = replace(call("AB1000", 12), counter_name="Loket Pelayanan Khusus Lansia 12")
    screen.paint(full_model(newest=long_counter, recent=(), waiting=()))

    layout = screen.layout
    number = ink(screen.surface, layout.newest_number, HIGHLIGHT_TEXT)
    everything = ink(screen.surface, screen.surface.get_rect(), HIGHLIGHT_TEXT)
    assert number is not None
    assert everything is not None
    assert number.h > layout.newest_number.h // 2  # still large
    assert strictly_inside(everything, layout.newest)


VERY_LONG_COUNTER = "Loket Pelayanan Prioritas Lansia, Ibu Hamil dan Penyandang Disabilitas 12"


@pytest.mark.parametrize(
    "name",
    [
        "Loket 5",
        "Loket Prioritas",
        "Loket Pelayanan Khusus Lansia 12",
        VERY_LONG_COUNTER,
        "Meja Informasi dan Pengaduan Masyarakat Mal Pelayanan Publik Kota Samarinda",
        "Loket" + "X" * 80,
    ],
)
def test_a_counter_name_is_never_drawn_below_the_readable_size(screen: Screen, name: str) -> None:
    # GIVEN a call at a counter with this name, in the newest panel and in a recent row
    shown = replace(call("A023", 12), counter_name=name)
    layout = screen.layout
    row = layout.recent_rows[0]
    text_h = row.h * 13 // 20
    boxes = {
        "newest": layout.newest_counter,
        "recent": pygame.Rect(row.x + row.w * 2 // 5, row.y, row.w - row.w * 2 // 5, text_h),
    }
    for where, box in boxes.items():
        # WHEN it is fitted
        lines = screen.counter_lines(shown, box)
        # THEN on one line or two, at one size never below the minimum, each line as
        # wide as the box at most
        assert 1 <= len(lines) <= 2, where
        assert len({line.size for line in lines}) == 1, where
        assert lines[0].size >= layout.counter_min_size, (where, lines)
        for line in lines:
            assert line.area.w <= box.w, (where, line.text)
        # AND a short name is shown whole, a long one wrapped or abbreviated
        text = " ".join(line.text for line in lines)
        if name == "Loket 5":
            assert text == "\u2192 LOKET 5"
        assert text.startswith("\u2192 LOKET") or text.startswith("\u2192 MEJA"), text


def test_a_long_counter_name_wraps_in_the_newest_panel_and_keeps_its_number(
    screen: Screen,
) -> None:
    # GIVEN a long counter name whose number is at its end
    shown = replace(call("A023", 12), counter_name="Loket Pelayanan Khusus Lansia 12")
    # WHEN it is fitted to the newest panel and to a recent row
    newest = screen.counter_lines(shown, screen.layout.newest_counter)
    very_long = replace(shown, counter_name=VERY_LONG_COUNTER)
    row = screen.layout.recent_rows[0]
    recent = screen.counter_lines(very_long, pygame.Rect(0, 0, row.w * 3 // 5, row.h * 13 // 20))
    # THEN the panel wraps it onto two lines, whole
    assert [line.text for line in newest] == ["\u2192 LOKET PELAYANAN", "KHUSUS LANSIA 12"]
    # AND the row abbreviates it, the counter's number kept
    assert len(recent) == 1
    assert recent[0].text.endswith(" 12"), recent[0].text


def test_a_long_counter_name_is_painted_inside_its_panel(screen: Screen) -> None:
    shown = replace(call("A023", 12), counter_name=VERY_LONG_COUNTER)
    screen.paint(full_model(newest=shown, recent=(shown,), waiting=()))
    everything = ink(screen.surface, screen.layout.newest, HIGHLIGHT_TEXT)
    assert everything is not None
    assert strictly_inside(everything, screen.layout.newest)
    listed = ink(screen.surface, screen.layout.recent, TEXT)
    assert listed is not None
    assert strictly_inside(listed, screen.layout.recent)


def test_counter_names_abbreviate_keeping_the_first_word_and_the_number() -> None:
    assert counter_names("\u2192 LOKET 5") == ["\u2192 LOKET 5"]
    assert counter_names("\u2192 LOKET PRIORITAS LANSIA 12") == [
        "\u2192 LOKET PRIORITAS LANSIA 12",
        "\u2192 LOKET PRIOR. LANSIA 12",
        "\u2192 LOKET \u2026 12",
    ]
    # Without a number, nothing is dropped: the words are shortened
    assert counter_names("\u2192 MEJA INFORMASI") == ["\u2192 MEJA INFORMASI", "\u2192 MEJA INFOR."]


def test_long_service_names_fit_the_waiting_panel(screen: Screen) -> None:
    # GIVEN no call yet, so white text in the body can only be the waiting list
    long_name = "Layanan pengaduan, konsultasi dan informasi hukum bagi masyarakat umum " * 2
    waiting = (WaitingShown("AB", long_name, 1000), WaitingShown("B", "SIM", 3))
    model = full_model(newest=None, highlight=False, recent=(), waiting=waiting)

    screen.paint(model)

    names = ink(screen.surface, body(screen.layout), TEXT)
    counts = ink(screen.surface, body(screen.layout), ACCENT)
    assert names is not None
    assert counts is not None
    assert strictly_inside(names, screen.layout.waiting)
    assert strictly_inside(counts, screen.layout.waiting)


def test_a_whole_mall_of_services_fits_the_waiting_panel(screen: Screen) -> None:
    names = ["Paspor (permohonan baru dan penggantian)", "SKCK", "Pajak kendaraan bermotor"]
    waiting = tuple(
        WaitingShown(chr(ord("A") + i), names[i % 3], i * 7) for i in range(26)
    )  # more than two columns hold: the last slot says how many are left out
    screen.paint(full_model(newest=None, highlight=False, recent=(), waiting=waiting))

    names_ink = ink(screen.surface, body(screen.layout), TEXT)
    assert names_ink is not None
    assert strictly_inside(names_ink, screen.layout.waiting)
    assert count(screen.surface, screen.layout.waiting, LABEL) > 0


# --- on a real display mode ---


def test_paints_on_the_display_surface(display_surface: pygame.Surface) -> None:
    screen = Screen(display_surface, clock=FakeClock())

    rects = screen.paint(full_model())
    pygame.display.update(rects)

    assert dominant(display_surface, screen.layout.newest) == HIGHLIGHT_BG
    fitted = screen.text.fit("A023", 400, 200)
    cached = screen.text.render(fitted, TEXT, PANEL_BG)
    assert cached.get_bitsize() == display_surface.get_bitsize()


def test_font_override_is_used(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Screen(pygame.Surface((640, 360), 0, 32), tmp_path / "no-such-font.ttf")
    mono = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
    assert mono.is_file(), "fonts-dejavu-core is not installed (make installs it)"
    default, override = (
        Screen(pygame.Surface((640, 360), 0, 32)),
        Screen(pygame.Surface((640, 360), 0, 32), mono),
    )

    assert default.text.font(40).size("A023") != override.text.font(40).size("A023")


# --- the clock in Bahasa Indonesia ---


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (NOW, "Senin, 30 November 2026  09:12"),
        (dt.datetime(2026, 8, 16, 17, 5, tzinfo=WITA), "Minggu, 16 Agustus 2026  17:05"),
        (dt.datetime(2027, 1, 1, 0, 0, tzinfo=WITA), "Jumat, 1 Januari 2027  00:00"),
    ],
)
def test_clock_text_in_bahasa_indonesia(now: dt.datetime, expected: str) -> None:
    assert clock_text(now) == expected
