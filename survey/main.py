"""`antre-survey`: a satisfaction survey unit at one counter or between neighbouring ones.

Four buttons, 4 sangat puas, 3 puas, 2 kurang puas, 1 tidak puas, each with an optional
LED beside it; each press goes to the central, which ties it to the ticket the unit's
counters finished last.

Under systemd (`systemd/antre-survey.service`, Type=notify) it says READY=1 once its pins
are set up and its link is started, and pings the watchdog from its loop alone.

On a laptop, `--pin-factory mock --keyboard` takes presses from the terminal: a line "4"
presses sangat puas (through the mock pin, so exactly as a finger would), "1" tidak puas.
"""

import argparse
import logging
import sys
from functools import partial

from contract.device_start import (
    DeviceRole,
    DeviceSetup,
    RunningDevice,
    device_parser,
    run_device,
)
from contract.gpio_panel import pin_factory_from_name
from contract.sd_notify import Watchdog
from contract.site import SurveyUnit
from survey.app import SurveyLink, SurveyUnitApp
from survey.panel import SurveyPanel
from survey.self_test import run_self_test

log = logging.getLogger(__name__)

ROLE: DeviceRole[SurveyUnit] = DeviceRole(
    command="antre-survey",
    what="survey unit",
    table="survey_units",
    id_flag="unit",
    devices=lambda site: site.survey_units,
    keeps_time=False,
    has_pins=True,
)


def main(argv: list[str] | None = None) -> int:
    return run_device(ROLE, _parser(), argv, _set_up, self_test=run_self_test)


def _set_up(setup: DeviceSetup[SurveyUnit]) -> RunningDevice:
    unit = setup.device
    pin_factory = pin_factory_from_name(setup.args.pin_factory)
    app = SurveyUnitApp(unit)
    link = SurveyLink(
        unit.id,
        setup.credentials,
        on_connected=app.connected,
        health=app.health,
        noted=setup.noted,
    )
    app.attach(link)
    panel = SurveyPanel(unit, app.pressed, pin_factory=pin_factory)
    counters = ", ".join(map(str, unit.counters))
    log.info("survey unit %s started: counters %s", unit.id, counters)

    def close() -> None:
        panel.close()
        link.stop(app.health())

    return RunningDevice(
        start=link.start,
        run=lambda notifier: app.run(watchdog=Watchdog(notifier)),
        stop=app.stop,
        close=close,
        # systemd: the pins are set up, the link is started.
        ready=f"survey unit {unit.id}: counters {counters}",
        read_keys=partial(_read_keys, panel) if setup.args.keyboard else None,
    )


def _parser() -> argparse.ArgumentParser:
    parser = device_parser(ROLE, __doc__)
    parser.add_argument(
        "--keyboard", action="store_true", help="take presses from stdin: a line 1, 2, 3 or 4"
    )
    return parser


def _read_keys(panel: SurveyPanel) -> None:
    for line in sys.stdin:
        key = line.strip()
        if key in ("1", "2", "3", "4"):
            panel.simulate(int(key))
        elif key:
            print(f"antre-survey: press 4 (sangat puas), 3, 2 or 1 (tidak puas), not {key!r}")


if __name__ == "__main__":
    sys.exit(main())
