"""Every device role starts through one routine (`contract/device_start.py`): a problem
before it runs is one line on stderr and exit status 1, never a traceback; once running,
a signal stops it and it is closed whatever happened."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero import LED, Device
from gpiozero.pins.mock import MockFactory

from contract.device_start import (
    DeviceRole,
    DeviceSetup,
    RunningDevice,
    device_parser,
    run_device,
)
from contract.sd_notify import Notifier
from contract.site import Kiosk
from display.main import main as display_main
from display.voice_pack_generator import write_silent_pack
from kiosk.main import main as kiosk_main
from survey.main import main as survey_main
from tests.broker_fixtures import EXAMPLE_SITE, Provisioned

Main = Callable[[list[str]], int]


def _flags(provisioned: Provisioned, tmp_path: Path, device: str) -> dict[str, list[str]]:
    credentials = str(provisioned.directory / "credentials" / f"{device}.toml")
    common = ["--site", str(EXAMPLE_SITE), "--credentials", credentials]
    return {
        "kiosk": [*common, "--state-dir", str(tmp_path / "state"), "--pin-factory", "mock"],
        "survey": [*common, "--pin-factory", "mock"],
        "display": [*common, "--voice-pack", str(tmp_path / "voice"), "--headless"],
    }


@pytest.mark.parametrize(
    ("main", "role", "flag", "message"),
    [
        (kiosk_main, "kiosk", "--kiosk", "antre-kiosk: no kiosk 'kiosk-9' in the site file "
         "(kiosks: kiosk-1, kiosk-2)"),
        (survey_main, "survey", "--unit", "antre-survey: no survey unit 'kiosk-9' in the site "
         "file (survey_units: survey-1)"),
        (display_main, "display", "--display", "antre-display: no display 'kiosk-9' in the "
         "site file (displays: display-lobby, display-disdukcapil)"),
    ],
)  # fmt: skip
def test_an_id_the_site_does_not_know_is_one_line_naming_the_ones_it_does(
    main: Main,
    role: str,
    flag: str,
    message: str,
    provisioned: Provisioned,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN each role started with an id that is not in the site file
    code = main([*_flags(provisioned, tmp_path, "kiosk-1")[role], flag, "kiosk-9"])
    # THEN it ends at once with status 1 and the one line a technician reads
    assert code == 1
    assert capsys.readouterr().err.splitlines() == [message]


@pytest.mark.parametrize(
    ("main", "role", "flag", "device"),
    [
        (kiosk_main, "kiosk", "--kiosk", "kiosk-1"),
        (survey_main, "survey", "--unit", "survey-1"),
        (display_main, "display", "--display", "display-lobby"),
    ],
)
def test_unreadable_credentials_are_one_line_naming_the_file(
    main: Main,
    role: str,
    flag: str,
    device: str,
    provisioned: Provisioned,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flags = _flags(provisioned, tmp_path, "nobody")[role]
    assert main([*flags, flag, device]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"antre-{role}: ")
    assert "nobody.toml" in line
    assert "cannot read the file" in line


@pytest.fixture
def default_mock_pins(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockFactory]:
    """gpiozero's default pin factory set to a mock one (restored afterwards)."""
    factory = MockFactory()
    monkeypatch.setattr(Device, "pin_factory", factory)
    yield factory
    factory.close()


@pytest.mark.parametrize(
    ("main", "flags"),
    [(kiosk_main, ["--kiosk", "kiosk-1"]), (survey_main, ["--unit", "survey-1"])],
)
@pytest.mark.usefixtures("default_mock_pins")
def test_a_busy_gpio_pin_is_one_line_naming_its_key(
    main: Main,
    flags: list[str],
    provisioned: Provisioned,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN another program holds one of the device's pins
    device = flags[1]
    credentials = str(provisioned.directory / "credentials" / f"{device}.toml")
    site = provisioned.site
    used = [k.pins() for k in site.kiosks if k.id == device] + [
        u.pins() for u in site.survey_units if u.id == device
    ]
    key, busy = used[0][0]
    holder = LED(f"GPIO{busy}")
    try:
        # WHEN the device starts on gpiozero's default factory
        argv = ["--site", str(EXAMPLE_SITE), "--credentials", credentials, *flags]
        if device.startswith("kiosk"):
            argv += ["--state-dir", str(tmp_path / "state")]
        code = main(argv)
    finally:
        holder.close()
    # THEN one line names the config key and the pin, and it ends with status 1
    assert code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"antre-{'kiosk' if device.startswith('kiosk') else 'survey'}: ")
    assert f"{key} = {busy}" in line


def test_a_screen_that_cannot_open_is_one_line(provisioned: Provisioned, tmp_path: Path) -> None:
    # GIVEN a display whose video driver does not exist here (its own process: SDL is
    # process-wide)
    write_silent_pack(tmp_path / "voice", english=True)
    credentials = provisioned.directory / "credentials" / "display-lobby.toml"
    environment = {**os.environ, "SDL_VIDEODRIVER": "no-such-driver", "SDL_AUDIODRIVER": "dummy"}
    result = subprocess.run(
        [
            sys.executable, "-m", "display.main", "--site", str(EXAMPLE_SITE),
            "--display", "display-lobby", "--credentials", str(credentials),
            "--voice-pack", str(tmp_path / "voice"), "--window", "320x200",
        ],
        env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # THEN status 1 and one line, no traceback
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("antre-display: cannot open the screen or the sound card: ")


class _Recorder:
    """A device that records what the routine asks of it; its loop ends on `stop`."""

    def __init__(self, during_run: Callable[[], None]) -> None:
        self.calls: list[str] = []
        self._during_run = during_run
        self._stopped = False

    def start(self) -> None:
        self.calls.append("start")

    def run(self, notifier: Notifier) -> None:
        self.calls.append("run")
        self._during_run()
        assert self._stopped, "the loop ran on after the signal"

    def stop(self) -> None:
        self.calls.append("stop")
        self._stopped = True

    def close(self) -> None:
        self.calls.append("close")

    def device(self) -> RunningDevice:
        return RunningDevice(start=self.start, run=self.run, stop=self.stop, close=self.close)


ROLE: DeviceRole[Kiosk] = DeviceRole(
    command="antre-test", what="kiosk", table="kiosks", id_flag="kiosk",
    devices=lambda site: site.kiosks,
)  # fmt: skip


@pytest.fixture
def own_signal_handlers() -> Iterator[None]:
    """The routine installs SIGTERM and SIGINT handlers: give pytest's back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.usefixtures("own_signal_handlers")
@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_loop_and_the_device_is_closed(
    signal_number: int, provisioned: Provisioned
) -> None:
    credentials = provisioned.directory / "credentials" / "kiosk-1.toml"
    device = _Recorder(lambda: os.kill(os.getpid(), signal_number))
    setups: list[DeviceSetup[Kiosk]] = []

    def set_up(setup: DeviceSetup[Kiosk]) -> RunningDevice:
        setups.append(setup)
        return device.device()

    argv = [
        "--site", str(EXAMPLE_SITE), "--kiosk", "kiosk-2", "--credentials", str(credentials),
        "--simulate-from", "2026-03-02T07:30+08:00", "--speed", "60",
    ]  # fmt: skip
    assert run_device(ROLE, device_parser(ROLE, None), argv, set_up) == 0
    assert device.calls == ["start", "run", "stop", "close"]
    # and it was set up from its own entry, its credentials and the simulated clock
    (setup,) = setups
    assert setup.device.id == "kiosk-2"
    assert setup.credentials.username == "kiosk-1"
    wita = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(2026, 3, 2, 7, 30, tzinfo=wita)
    assert start <= setup.clock() < start + dt.timedelta(minutes=30)


@pytest.mark.usefixtures("own_signal_handlers")
def test_a_loop_that_fails_still_closes_the_device(provisioned: Provisioned) -> None:
    def fail() -> None:
        raise RuntimeError("the loop broke")

    device = _Recorder(fail)
    credentials = provisioned.directory / "credentials" / "kiosk-1.toml"
    argv = ["--site", str(EXAMPLE_SITE), "--kiosk", "kiosk-1", "--credentials", str(credentials)]
    with pytest.raises(RuntimeError, match="the loop broke"):
        run_device(ROLE, device_parser(ROLE, None), argv, lambda setup: device.device())
    assert device.calls == ["start", "run", "close"]
