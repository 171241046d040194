"""The hub's systemd unit: verify without a warning, a low exposure, the settings it needs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from hub.main import main as hub_main
from tests.test_systemd_units import (
    REPO,
    UNITS,
    assert_clean,
    exposure,
    settings,
    stand_in,
    verify,
)

UNIT = "antre-hub.service"


def test_the_hub_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    stand_in(tmp_path, UNIT)
    assert_clean(verify(f"./{UNIT}", tmp_path))


def test_the_hub_units_exposure_is_at_most_five(tmp_path: Path) -> None:
    stand_in(tmp_path, UNIT)
    score = exposure(f"./{UNIT}", tmp_path)
    print(f"{UNIT}: exposure {score}")
    assert score <= 5.0


def test_the_hub_unit_is_notify_with_a_watchdog_and_runs_the_console_script() -> None:
    unit = settings(UNITS / UNIT)
    assert unit["Service.Type"] == ["notify"]
    assert int(unit["Service.WatchdogSec"][0]) >= 10
    assert unit["Service.User"] == ["antre"]
    assert unit["Service.LoadCredential"][0].startswith("mqtt.toml:/")
    command = unit["Service.ExecStart"][0].split()
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert Path(command[0]).name in scripts
    # every variable it uses is set in the environment template
    template = (UNITS / "hub.env").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([A-Z_]+)=", template, re.MULTILINE))
    assert set(re.findall(r"\$\{(\w+)\}", (UNITS / UNIT).read_text())) <= defined


def test_a_missing_credentials_file_is_a_clear_error(tmp_path: Path) -> None:
    # GIVEN no credentials file WHEN antre-hub starts THEN it says so and exits 2
    assert hub_main(["--credentials", str(tmp_path / "none.toml"), "--database", "x"]) == 2
