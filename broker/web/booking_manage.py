"""Cancelling or moving a booking on the public pages, by its code and the NIK it was
made with.

The NIK is checked against the booking's HMAC, so a stranger who learns a code can
neither open nor change the booking; a wrong pair and an unknown code get the very same
answer, so the page tells nobody which codes exist. Once opened, the code is kept in the
session (signed, so it cannot be swapped for another) for the next steps.
"""

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from broker.bookings import Booking, BookingState
from broker.engine.engine import Refused
from broker.store.sqlite_store import StoreError
from broker.web.booking_common import (
    braked,
    day_slots_or_none,
    day_words,
    desk,
    moment_words,
    now,
    offered_days,
    parse_day,
    parse_slot,
    refusal_words,
    service_or_404,
)
from broker.web.booking_flow import remember, shown
from broker.web.i18n import t

bp = Blueprint("booking_manage", __name__, url_prefix="/b/manage")

# The code opened with its NIK in this browser.
OPENED = "bk_manage"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _page(template: str, status: int = 200, **values: Any) -> tuple[str, int]:
    values.update(area="booking", layout="booking_layout.html", staff=False, day_words=day_words)
    return render_template(template, **values), status


def _opened() -> Booking | None:
    code = session.get(OPENED)
    return desk().find(code) if isinstance(code, str) else None


@bp.route("/", methods=["GET", "POST"])
def find() -> tuple[str, int] | Response:
    if request.method == "GET":
        return _page("booking_manage.html", error="", code="")
    if (refusal := braked()) is not None:
        return refusal
    code, nik = request.form.get("code", ""), request.form.get("nik", "")
    booking = desk().find(code)
    try:
        matches = booking is not None and desk().nik_matches(booking, nik)
    except Refused:  # not a NIK at all: the same answer as a wrong one
        matches = False
    if booking is None or not matches:
        return _page("booking_manage.html", 404, error=t("bk_not_found"), code=code[:20])
    session[OPENED] = booking.code
    remember(booking.code)
    return redirect(url_for("booking_manage.opened"), 303)


@bp.get("/booking")
def opened(message: str = "", status: int = 200) -> tuple[str, int] | Response:
    booking = _opened()
    if booking is None:
        return redirect(url_for("booking_manage.find"), 303)
    return _page("booking_opened.html", status, message=message, **shown(booking))


@bp.post("/cancel")
def cancel() -> tuple[str, int] | Response:
    if (refusal := braked()) is not None:
        return refusal
    booking = _opened()
    if booking is None:
        return redirect(url_for("booking_manage.find"), 303)
    try:
        desk().cancel(booking.code, now(), actor="web")
    except Refused as e:
        return opened(refusal_words(e), 409)
    except StoreError:
        return opened(t("bk_unavailable"), 503)
    return opened(t("bk_cancelled").format(code=booking.code))


@bp.get("/move/")
def move_days() -> tuple[str, int] | Response:
    booking = _opened()
    if booking is None or booking.state is not BookingState.BOOKED:
        return redirect(url_for("booking_manage.find"), 303)
    service = service_or_404(booking.service)
    offered = offered_days(service, now())
    return _page(
        "booking_days.html", service=service, days=offered, opens=moment_words, moving=True
    )


@bp.route("/move/<day>/", methods=["GET", "POST"])
def move_slots(day: str) -> tuple[str, int] | Response:
    booking = _opened()
    if booking is None or booking.state is not BookingState.BOOKED:
        return redirect(url_for("booking_manage.find"), 303)
    service, chosen = service_or_404(booking.service), parse_day(day)
    error = ""
    if request.method == "POST":
        if (refusal := braked()) is not None:
            return refusal
        start = parse_slot(request.form.get("slot", ""))
        try:
            desk().move(booking.code, chosen, start, now(), actor="web")
        except Refused as e:
            error = refusal_words(e)
        except StoreError:
            error = t("bk_unavailable")
        else:
            return opened(t("bk_moved").format(code=booking.code))
    found = day_slots_or_none(service, chosen, now())
    return _page(
        "booking_slots.html",
        409 if error else 200,
        service=service,
        day=chosen,
        slots=found,
        moving=True,
        error=error,
    )
