"""A booked citizen scans their booking code: check in at the central, or print offline.

Runs on the kiosk's loop, like a press. Online, the code goes to the central as a
`check_in` and its answer is acted on like an `issue`'s: a ticket is printed (with its
slot), a refusal is beeped and blinked by its family. With the central away the kiosk
prints a reserved number of the code's service, marked with the code, and hands in the
`issue_offline` and then a `check_in` tying the booking to it (docs/kiosk.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING

from contract.booking_code import BookingCode, parse_code
from contract.logs import escape_controls
from contract.messages import Answer, CheckIn, encode
from contract.presses import Press
from contract.reasons import Reason
from kiosk.outbox import RequestState
from kiosk.panel import Buzz, Light

if TYPE_CHECKING:
    from kiosk.app import KioskApp

log = logging.getLogger(__name__)

# Outbox kinds: a check-in asked at the scan, and one handed in after an offline ticket.
CHECK_IN = "check_in"
LATE_CHECK_IN = "late_check_in"
# How much of a scan that is no code the log shows.
LOGGED_JUNK = 40

# A refusal's family: what the citizen can do about it.
_NOT_VALID = {Reason.UNKNOWN_BOOKING, Reason.BOOKING_CANCELLED, Reason.ALREADY_CHECKED_IN}
_WRONG_TIME = {Reason.NOT_TODAY, Reason.TOO_EARLY, Reason.TOO_LATE}


def refusal_buzz(reason: str | None) -> Buzz:
    """The beeps for a refused check-in: not valid, wrong time, or ask the help desk."""
    if reason in _NOT_VALID:
        return Buzz.NOT_VALID
    if reason in _WRONG_TIME:
        return Buzz.WRONG_TIME
    # Closed, quota used up, a fault at the central: nothing the citizen can fix here.
    return Buzz.ASK_STAFF


class CheckInDesk:
    """The kiosk's check-in: one scanned code at a time, on the kiosk's loop."""

    def __init__(self, app: KioskApp) -> None:
        self.app = app

    def scanned(self, text: str) -> None:
        """Acts on what the scanner read: junk is refused at once, a code is checked in."""
        app = self.app
        code = parse_code(text)
        if code is None:
            shown = escape_controls(text[:LOGGED_JUNK]) + ("..." if len(text) > LOGGED_JUNK else "")
            log.warning(
                "%s: scanned no booking code (%d chars): %s", app.kiosk.id, len(text), shown
            )
            app.signal(Buzz.NOT_VALID, None)
            return
        log.info("%s: check-in of booking %s", app.kiosk.id, code)
        if not app.printer_ready():
            app.signal(Buzz.FAULT, None)
            return
        has_reserve = self._reserved_left(code) > 0
        if not app.central_there() and has_reserve:
            log.warning("%s: the central is away, printing %s offline", app.kiosk.id, code)
            self._offline(code)
            return
        request_id = uuid.uuid4().hex
        payload = encode(CheckIn(id=request_id, code=str(code)))
        app.outbox.add(request_id, CHECK_IN, code.service, payload)
        app.show(code.service, Light.PRINTING)
        answer = app.send_and_wait(request_id, payload, app.wait_for(has_reserve))
        if answer is not None:
            pending = app.outbox.get(request_id)
            assert pending is not None
            app.act(pending, answer)
            return
        if has_reserve:
            # Given up: a ticket the central still sends for it is cancelled (superseded).
            app.outbox.set_state(request_id, RequestState.ABANDONED)
            self._offline(code)
            return
        # Nothing to print: the request stays in the outbox and is handed in when the
        # central is back, its ticket printed then; the citizen goes to the help desk now.
        log.warning("%s: no reserved number for booking %s: ask staff", app.kiosk.id, code)
        app.signal(Buzz.ASK_STAFF, code.service)

    def refused(self, service: str, answer: Answer) -> None:
        """Shows the central's refusal of a check-in with the buzzer and the service's LED."""
        if answer.reason == Reason.TOO_EARLY and answer.check_in_from:
            # The kiosk prints no refusal slips: the time is in the log, for the help desk.
            log.info("%s: too early, check-in from %s", self.app.kiosk.id, answer.check_in_from)
        else:
            log.info("%s: check-in refused: %s", self.app.kiosk.id, answer.reason)
        self.app.signal(refusal_buzz(answer.reason), service)

    def _reserved_left(self, code: BookingCode) -> int:
        app = self.app
        if code.service not in app.services:
            return 0
        return app.outbox.reserved_left(app.today(), code.service)

    def _offline(self, code: BookingCode) -> None:
        """Prints a reserved number of the code's service, then stores the check-in for it."""
        app = self.app
        # Closed now: the central would refuse the ticket's printing time.
        if self._reserved_left(code) == 0 or not app.open_now(code.service):
            log.warning("%s: cannot print offline for booking %s: ask staff", app.kiosk.id, code)
            app.signal(Buzz.ASK_STAFF, code.service)
            return
        ticket = app.issue_offline(Press(code.service, False), booking=str(code))
        if ticket is None:
            return
        request_id = uuid.uuid4().hex
        message = CheckIn(
            id=request_id,
            code=str(code),
            offline_ticket=ticket.id,
            scanned_at=dt.datetime.fromisoformat(ticket.issued_at),
        )
        # After the `issue_offline`: the outbox hands requests in in the order written,
        # so the central knows the ticket before the booking is tied to it.
        app.outbox.add(request_id, LATE_CHECK_IN, code.service, encode(message))
        if app.link is not None:
            app.link.send(encode(message))
