"""How every device role starts: one routine for the kiosk, the survey unit and the display.

A role's `main` builds its parser with `device_parser` (the flags every device takes: the
site file, its id in it, its credentials, the log level and, where it keeps time, a
simulated clock), adds its own flags, and hands `run_device` a function that sets the
role up from a `DeviceSetup`. Everything that can go wrong before the device runs (a
broken site file, an id the site does not know, unreadable credentials, a busy GPIO pin,
a screen that cannot open) ends the command with one line on stderr, `antre-kiosk: ...`,
and exit status 1: the line a technician reads in `journalctl`, never a traceback.

Then the routine stops the device on SIGTERM (systemd) and SIGINT (Ctrl-C), telling
systemd STOPPING=1, starts it, tells systemd READY=1 (Type=notify), runs its loop (which
pings the watchdog) and closes it whatever happened.
"""

import argparse
import datetime as dt
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Generic, Protocol, TypeVar

from contract.clock import SimulatedClock, system_clock
from contract.credentials import Credentials, load_credentials
from contract.device_link import Health
from contract.errors import AntreError
from contract.logs import configure_logging
from contract.sd_notify import Notifier
from contract.self_test import Technician, load_summary
from contract.site import Site
from contract.site_loader import load_site


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


D = TypeVar("D", bound=_HasId)


@dataclass(frozen=True, slots=True)
class DeviceRole(Generic[D]):
    """What a role is called and where its devices are in the site file."""

    command: str  # "antre-kiosk": begins every error line
    what: str  # "kiosk", "survey unit": in messages
    table: str  # the site file's table, "kiosks", "survey_units"
    id_flag: str  # "kiosk": the flag `--kiosk ID`
    devices: Callable[[Site], Sequence[D]]
    keeps_time: bool = True  # takes --simulate-from and --speed
    has_pins: bool = False  # takes --pin-factory (the choice is made in contract/gpio_panel.py)

    def find(self, site: Site, device_id: str) -> D:
        """This device's entry in the site file, or an error naming the ones there are."""
        for device in self.devices(site):
            if device.id == device_id:
                return device
        known = ", ".join(device.id for device in self.devices(site)) or "none"
        raise AntreError(f"no {self.what} {device_id!r} in the site file ({self.table}: {known})")


@dataclass(frozen=True, slots=True)
class DeviceSetup(Generic[D]):
    """What every device starts from."""

    args: argparse.Namespace  # the role's own flags are here too
    site: Site
    device: D
    credentials: Credentials
    clock: Callable[[], dt.datetime]
    # Where it keeps its state (`--state-dir`), and the figures every status of it
    # carries: its last self-test's result.
    state_dir: Path
    noted: Health


@dataclass(frozen=True, slots=True)
class SelfTestSetup(Generic[D]):
    """What a self-test starts from: no credentials, it talks to nobody but the
    technician."""

    args: argparse.Namespace
    site: Site
    device: D
    clock: Callable[[], dt.datetime]
    state_dir: Path
    technician: Technician
    timeout: float  # seconds to wait for each press and each answer


@dataclass(frozen=True, slots=True)
class RunningDevice:
    """A device set up and ready to start: what the routine calls, in this order."""

    start: Callable[[], None]  # starts the link to Mosquitto
    run: Callable[[Notifier], None]  # the loop, until `stop`; pings the watchdog
    stop: Callable[[], None]  # asks the loop to end soon (from a signal handler)
    close: Callable[[], None]  # releases pins, printer, link; after `run`, always
    # READY=1 with this status once started; None: the loop says READY itself (the
    # display, after its first frame).
    ready: str | None = None
    # Presses typed on the terminal (`--keyboard`, on a laptop), read in a thread.
    read_keys: Callable[[], None] | None = None


def device_parser(role: DeviceRole[D], description: str | None) -> argparse.ArgumentParser:
    """A parser with the flags every device takes; the role adds its own."""
    parser = argparse.ArgumentParser(prog=role.command, description=description)
    parser.add_argument("--site", required=True, help="the site TOML file")
    parser.add_argument(
        f"--{role.id_flag}", required=True, help=f"this {role.what}'s id in the site file"
    )
    parser.add_argument(
        "--credentials", help=f"this {role.what}'s credentials file (not for --self-test)"
    )
    parser.add_argument(
        "--state-dir",
        default=".",
        help="where it keeps its state and its self-test's result (default: the working "
        "directory, systemd's StateDirectory)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="walk a technician through this device's hardware, save and print the result",
    )
    parser.add_argument(
        "--self-test-timeout",
        type=float,
        default=60.0,
        help="seconds the self-test waits for each press and each answer",
    )
    if role.keeps_time:
        parser.add_argument(
            "--simulate-from",
            type=dt.datetime.fromisoformat,
            metavar="ISO-TIME",
            help="run a simulated clock from this time (tests, demonstrations)",
        )
        parser.add_argument("--speed", type=float, default=1.0, help="the simulated clock's speed")
    if role.has_pins:
        parser.add_argument(
            "--pin-factory",
            help="gpiozero pin factory: mock, lgpio, rpigpio, native (default: gpiozero's "
            "choice, which honours GPIOZERO_PIN_FACTORY)",
        )
    parser.add_argument("--log-level", default="INFO")
    return parser


def run_device(
    role: DeviceRole[D],
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    set_up: Callable[[DeviceSetup[D]], RunningDevice],
    self_test: Callable[[SelfTestSetup[D]], int] | None = None,
) -> int:
    """Parses, sets the device up, runs it until a signal (or walks through its
    self-test); the exit status."""
    args = parser.parse_args(argv)
    if not args.self_test and args.credentials is None:
        parser.error("--credentials is needed (but with --self-test)")
    configure_logging(args.log_level)
    state_dir = Path(args.state_dir)
    try:
        site = load_site(args.site)
        device = role.find(site, getattr(args, role.id_flag))
        if args.self_test:
            if self_test is None:
                raise AntreError(f"a {role.what} has no self-test yet")
            technician = Technician()
            test = SelfTestSetup(
                args, site, device, _clock(args), state_dir, technician, args.self_test_timeout
            )
            return self_test(test)
        setup = DeviceSetup(
            args=args,
            site=site,
            device=device,
            credentials=load_credentials(args.credentials),
            clock=_clock(args),
            state_dir=state_dir,
            noted=load_summary(state_dir),
        )
        running = set_up(setup)
    except (AntreError, ValueError, OSError) as e:
        print(f"{role.command}: {e}", file=sys.stderr)
        return 1
    return _run(running)


def _run(device: RunningDevice) -> int:
    notifier = Notifier.from_environment()

    def stop(signum: int, frame: FrameType | None) -> None:
        notifier.stopping()
        device.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if device.read_keys is not None:
        threading.Thread(target=device.read_keys, name="keys", daemon=True).start()
    try:
        device.start()
        if device.ready is not None:
            notifier.ready(device.ready)
        device.run(notifier)
    finally:
        device.close()
    return 0


def _clock(args: argparse.Namespace) -> Callable[[], dt.datetime]:
    start: dt.datetime | None = getattr(args, "simulate_from", None)
    return SimulatedClock(start, args.speed) if start is not None else system_clock
