"""`antre-display --self-test`, headless on SDL's dummy drivers: the technician's answers
come on stdin, the checklist goes to stdout and `self-test.json`, and the test pattern to
the screenshot folder.

Each run is a process of its own: pygame (the screen, the mixer) is process-wide.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from display.layout import Layout
from display.self_test import (
    ANNOUNCEMENT,
    FRAME_TIME,
    MODE,
    PATTERN_FILE,
    VOICE_PACK,
    ZONE_COLOURS,
    ZONES,
    ZONES_QUESTION,
)
from display.voice_pack_generator import write_silent_pack
from tests.conftest import EXAMPLE_SITE

ROOT = Path(__file__).resolve().parent.parent
CHECKS = [MODE, ZONES, FRAME_TIME, VOICE_PACK, ANNOUNCEMENT]


@dataclass(frozen=True, slots=True)
class Run:
    status: int
    stdout: str
    stderr: str
    saved: dict[str, object]
    shots: Path

    def outcomes(self) -> dict[str, str]:
        checks = self.saved["checks"]
        assert isinstance(checks, list)
        return {check["name"]: check["outcome"] for check in checks}

    def detail(self, name: str) -> str:
        checks = self.saved["checks"]
        assert isinstance(checks, list)
        return str(next(check["detail"] for check in checks if check["name"] == name))


@pytest.fixture(scope="module")
def voice_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pack = tmp_path_factory.mktemp("voice")
    write_silent_pack(pack, english=True)  # display-lobby has english = true
    return pack


def self_test(folder: Path, voice_pack: Path, answers: str) -> Run:
    state, shots = folder / "state", folder / "shots"
    command = [
        sys.executable, "-m", "display.main", "--site", str(EXAMPLE_SITE),
        "--display", "display-lobby", "--voice-pack", str(voice_pack), "--headless",
        "--screenshot-dir", str(shots), "--self-test", "--self-test-timeout", "10",
        "--state-dir", str(state),
    ]  # fmt: skip
    done = subprocess.run(
        command, input=answers, capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    saved = json.loads((state / "self-test.json").read_text(encoding="utf-8"))
    return Run(done.returncode, done.stdout, done.stderr, saved, shots)


@pytest.fixture(scope="module")
def passed(tmp_path_factory: pytest.TempPathFactory, voice_pack: Path) -> Run:
    return self_test(tmp_path_factory.mktemp("passed"), voice_pack, "y\ny\n")


def test_a_display_that_works_passes_and_prints_its_checklist(passed: Run) -> None:
    assert passed.status == 0, passed.stderr
    lines = passed.stdout.splitlines()
    assert f"{ZONES_QUESTION} [y/n]" in lines
    for name in CHECKS:
        assert any(line.startswith(f"[ OK ] {name}") for line in lines), passed.stdout
    assert "Hasil / result: LULUS / passed" in lines
    assert any(line.startswith("Disimpan / saved: ") for line in lines)


def test_the_saved_result_names_every_check_with_its_figures(passed: Run) -> None:
    assert passed.saved["device"] == "display-lobby"
    assert passed.saved["role"] == "display"
    assert passed.outcomes() == dict.fromkeys(CHECKS, "passed")
    assert passed.detail(MODE) == "1920x1080, dummy, jendela / window"
    assert "median" in passed.detail(FRAME_TIME)
    assert "budget 33 ms" in passed.detail(FRAME_TIME)
    # Played through the display's own announcer: the chime, A001 at counter 1, in
    # Indonesian and then English, on the dummy audio driver.
    announced = passed.detail(ANNOUNCEMENT)
    assert announced.startswith("audio dummy")
    assert "chime nomor antrean a satu silakan menuju loket satu en/number" in announced


def test_the_test_pattern_shows_every_zone_in_its_colour(passed: Run) -> None:
    pattern = pygame.image.load(str(passed.shots / PATTERN_FILE))
    assert pattern.get_size() == (1920, 1080)
    layout = Layout.for_size(1920, 1080)
    for name in ("header", "recent", "waiting", "notice"):
        rect = layout.regions()[name]
        # Right of the middle: clear of the zone's name (top left) and of the device's
        # card (the screen's middle).
        spot = (rect.right - rect.w // 8, rect.centery)
        assert tuple(pattern.get_at(spot))[:3] == ZONE_COLOURS[name], name
    # The white line along the edges, for a TV that cuts them off.
    assert tuple(pattern.get_at((0, 540)))[:3] == (255, 255, 255)
    assert tuple(pattern.get_at((1919, 1079)))[:3] == (255, 255, 255)


def test_a_zone_cut_off_fails_the_self_test_and_is_named(tmp_path: Path, voice_pack: Path) -> None:
    run = self_test(tmp_path, voice_pack, "n\ny\n")
    assert run.status == 1, run.stderr
    assert run.outcomes() == {**dict.fromkeys(CHECKS, "passed"), ZONES: "failed"}
    assert run.detail(ZONES) == "terpotong atau tidak utuh / cut off or incomplete"
    lines = run.stdout.splitlines()
    assert f"[GAGAL] {ZONES}: terpotong atau tidak utuh / cut off or incomplete" in lines
    assert "Hasil / result: GAGAL / failed" in lines
