"""What the booking pages share: the desk, the clock, the days on offer, the QR code, the
per-address brake and the words of a refusal, a date and a code."""

import contextlib
import datetime as dt
from dataclasses import dataclass

import segno
from flask import abort, current_app, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from broker.bookings import BookingDesk, OpenSlot, check_in_window
from broker.bookings.calendar import booking_opens
from broker.engine.engine import Refused
from broker.web.booking_limit import AttemptLimiter
from broker.web.booking_words import DAY_NAMES, MONTH_NAMES
from broker.web.context import context
from broker.web.i18n import language, t
from contract.hours import service_day
from contract.reasons import Reason, reason_text
from contract.site import Service

LIMITER = "antre.booking_limit"
# The refusals whose detail is a moment worth saying: from or until when.
_TIMED = (Reason.BOOKING_NOT_OPEN, Reason.TOO_FAR_AHEAD)


@dataclass(frozen=True, slots=True)
class OfferedDay:
    """A date of a service as the day list shows it: open now, or opening later."""

    day: dt.date
    # When booking opens, if not yet; None: bookable now.
    opens: dt.datetime | None
    free: int


def desk() -> BookingDesk:
    """The booking desk; 404 when the central runs without one."""
    found = context().bookings
    if found is None:
        abort(404)
    return found


def now() -> dt.datetime:
    """The queue's clock: a simulated day in a demo is the booking pages' day too."""
    moment: dt.datetime = context().queue.now()
    return moment


def bookable_services() -> list[Service]:
    """The services that take bookings, in the site file's order."""
    return [s for s in context().site.services if s.booking is not None]


def service_or_404(prefix: str) -> Service:
    found = context().site.services_by_prefix.get(prefix)
    if found is None or found.booking is None:
        abort(404)
    return found


def offered_days(service: Service, moment: dt.datetime) -> list[OfferedDay]:
    """The dates from today to `days_ahead` days on that have sessions: those open now
    with their free places, and the next ones with when they open."""
    rules = service.booking
    assert rules is not None
    site = context().site
    today = service_day(site, moment)
    days: list[OfferedDay] = []
    for ahead in range(rules.days_ahead + 2):
        day = today + dt.timedelta(days=ahead)
        try:
            slots = desk().slots(service.prefix, day, moment)
        except Refused as e:
            if e.reason in _TIMED:
                days.append(OfferedDay(day, booking_opens(site, rules, day), 0))
            continue
        if slots:
            days.append(OfferedDay(day, None, sum(s.free for s in slots)))
    return days


def day_slots_or_none(service: Service, day: dt.date, moment: dt.datetime) -> list[OpenSlot]:
    """The day's open slots; an empty list when the day cannot be booked."""
    try:
        return desk().slots(service.prefix, day, moment)
    except Refused:
        return []


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        abort(404)


def parse_slot(text: str) -> dt.time:
    """A slot in an address, "0830"."""
    if len(text) != 4 or not text.isdigit():
        abort(404)
    try:
        return dt.time(int(text[:2]), int(text[2:]))
    except ValueError:
        abort(404)


def day_words(day: dt.date) -> str:
    """ "Senin, 30 November 2026" (or "Monday, 30 November 2026")."""
    english = language() == "en"
    weekday = DAY_NAMES[day.weekday()][english]
    return f"{weekday}, {day.day} {MONTH_NAMES[day.month - 1][english]} {day.year}"


def moment_words(moment: dt.datetime) -> str:
    """A moment in the site's zone, in words: "Senin, 23 November 2026 07:00"."""
    local = moment.astimezone(context().site.site.timezone)
    return f"{day_words(local.date())} {local:%H:%M}"


def spaced_code(code: str) -> str:
    """The code cut to read aloud: "E-7K3M9Q" -> "E-7K3 M9Q"."""
    head, _, body = code.partition("-")
    return f"{head}-{body[:3]} {body[3:]}" if len(body) == 6 else code


def qr_svg(code: str) -> Markup:
    """The booking's QR code (holding the code alone) as inline SVG: no request, no script."""
    # A full QR code: many scanners cannot read the Micro QR segno picks for short text.
    qr = segno.make(code, error="m", micro=False)
    # No fixed size: a viewBox, so the style sheet sizes it for the screen or the paper.
    return Markup(qr.svg_inline(border=4, dark="#000", light="#fff", omitsize=True))


def window_words(service: Service, day: dt.date, slot: dt.time) -> str:
    rules = service.booking
    assert rules is not None
    start, end = check_in_window(context().site, rules, day, slot)
    return t("bk_window").format(start=f"{start:%H:%M}", end=f"{end:%H:%M}")


def refusal_words(error: Refused) -> str:
    """A refusal in the visitor's language; one that waits for a moment says it."""
    words = reason_text(error.reason, language())
    if error.reason in _TIMED and error.detail:
        with contextlib.suppress(ValueError):
            words += (
                " ("
                + t("bk_from").format(when=moment_words(dt.datetime.fromisoformat(error.detail)))
                + ")"
            )
    return words


def limiter() -> AttemptLimiter:
    found: AttemptLimiter = current_app.extensions[LIMITER]
    return found


def braked() -> Response | None:
    """Spends one booking attempt of the client's address; a 429 page when none is left."""
    wait = limiter().attempt(request.remote_addr or "?")
    if wait <= 0:
        return None
    seconds = max(1, int(wait + 0.999))
    page = render_template("booking_message.html", message=t("bk_too_many").format(seconds=seconds))
    response = Response(page, 429, mimetype="text/html")
    response.headers["Retry-After"] = str(seconds)
    return response
