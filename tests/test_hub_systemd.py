"""The hub's systemd unit: verify without a warning, a low exposure, the settings it needs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

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
WEB_UNIT = "antre-hub-web.service"


@pytest.mark.parametrize("name", [UNIT, WEB_UNIT])
def test_the_hub_units_verify_without_a_warning(name: str, tmp_path: Path) -> None:
    stand_in(tmp_path, name)
    assert_clean(verify(f"./{name}", tmp_path))


@pytest.mark.parametrize("name", [UNIT, WEB_UNIT])
def test_the_hub_units_exposure_is_at_most_five(name: str, tmp_path: Path) -> None:
    stand_in(tmp_path, name)
    score = exposure(f"./{name}", tmp_path)
    print(f"{name}: exposure {score}")
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
    # every variable the units use is set in the environment template
    template = (UNITS / "hub.env").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([A-Z_]+)=", template, re.MULTILINE))
    for name in (UNIT, WEB_UNIT):
        assert set(re.findall(r"\$\{(\w+)\}", (UNITS / name).read_text())) <= defined
        command = settings(UNITS / name)["Service.ExecStart"][0].split()
        assert Path(command[0]).name in scripts


def test_a_missing_credentials_file_is_a_clear_error(tmp_path: Path) -> None:
    # GIVEN no credentials file WHEN antre-hub starts THEN it says so and exits 2
    assert hub_main(["--credentials", str(tmp_path / "none.toml"), "--database", "x"]) == 2
