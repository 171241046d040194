"""Booking step by step, one server-rendered page a step (no script needed): service,
date, slot, the citizen's details, confirmation, then the code and its QR.

The same steps serve the citizens' public pages (`booking`, under /b/, braked per
address) and the staff's help desk (`booking_desk`, under /bookings/, for a signed-in
clerk, booked as `staff`): `flow_blueprint` makes either.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from broker.bookings import Booking, BookingSource, checked_nik
from broker.bookings.desk import NAME_LENGTH
from broker.engine.engine import Refused
from broker.store.sqlite_store import StoreError
from broker.web.booking_common import (
    bookable_services,
    braked,
    day_slots_or_none,
    day_words,
    desk,
    moment_words,
    now,
    offered_days,
    parse_day,
    parse_slot,
    qr_svg,
    refusal_words,
    service_or_404,
    spaced_code,
    window_words,
)
from broker.web.i18n import t
from broker.web.security import current_user, login_required

_PHONE = re.compile(r"^\+?[0-9]{8,15}$")
# The codes this browser booked (or opened with their NIK), the only ones it may view.
SEEN_CODES = "bk_codes"
_SEEN_KEEP = 10


def flow_blueprint(name: str, url_prefix: str, *, staff: bool) -> Blueprint:
    """The booking steps under `url_prefix`; `staff`: for signed-in staff, booked as such."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    layout = "base.html" if staff else "booking_layout.html"

    def page(template: str, status: int = 200, **values: Any) -> tuple[str, int]:
        values.update(area=name, layout=layout, staff=staff, day_words=day_words)
        return render_template(template, **values), status

    def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
        return login_required()(view) if staff else view

    @bp.get("/")
    @guarded
    def services() -> tuple[str, int]:
        return page("booking_services.html", services=bookable_services())

    @bp.get("/<prefix>/")
    @guarded
    def days(prefix: str) -> tuple[str, int]:
        service = service_or_404(prefix)
        offered = offered_days(service, now())
        return page("booking_days.html", service=service, days=offered, opens=moment_words)

    @bp.get("/<prefix>/<day>/")
    @guarded
    def slots(prefix: str, day: str) -> tuple[str, int]:
        service, chosen = service_or_404(prefix), parse_day(day)
        found = day_slots_or_none(service, chosen, now())
        return page("booking_slots.html", service=service, day=chosen, slots=found)

    @bp.route("/<prefix>/<day>/<slot>", methods=["GET", "POST"])
    @guarded
    def details(prefix: str, day: str, slot: str) -> tuple[str, int] | Response:
        service, chosen, start = service_or_404(prefix), parse_day(day), parse_slot(slot)
        form = {key: request.form.get(key, "") for key in ("name", "nik", "phone")}
        values: dict[str, Any] = {"service": service, "day": chosen, "slot": start, "form": form}
        if request.method == "GET":
            offered = day_slots_or_none(service, chosen, now())
            if not any(s.start == start and s.free > 0 for s in offered):
                # A full or closed slot (an old link, a bookmark): back to the day's slots.
                full = t("bk_slot_taken")
                return page("booking_slots.html", 409, slots=offered, error=full, **values)
            return page("booking_form.html", errors={}, **values)
        if not staff and (refusal := braked()) is not None:
            return refusal
        errors = _form_errors(form)
        if errors:
            return page("booking_form.html", 400, errors=errors, **values)
        if request.form.get("step") != "confirm":
            return page("booking_confirm.html", masked=_masked(form["nik"]), **values)
        user = current_user()
        try:
            booking = desk().book(
                service.prefix,
                chosen,
                start,
                form["name"],
                form["nik"],
                form["phone"],
                BookingSource.STAFF if staff else BookingSource.WEB,
                now(),
                actor=f"web:{user.username}" if staff and user else "",
            )
        except Refused as e:
            return page("booking_form.html", 409, errors={"": refusal_words(e)}, **values)
        except StoreError:
            return page("booking_form.html", 503, errors={"": t("bk_unavailable")}, **values)
        remember(booking.code)
        return redirect(url_for(f"{name}.done", code=booking.code), 303)

    @bp.get("/done/<code>")
    @guarded
    def done(code: str) -> tuple[str, int]:
        if code not in session.get(SEEN_CODES, []):
            abort(404)
        booking = desk().find(code)
        if booking is None:
            abort(404)
        return page("booking_done.html", **shown(booking))

    return bp


def shown(booking: Booking) -> dict[str, Any]:
    """What a page shows of a booking: never its NIK, nor its hash."""
    service = service_or_404(booking.service)
    return {
        "booking": booking,
        "service": service,
        "code": spaced_code(booking.code),
        "qr": qr_svg(booking.code),
        "when": day_words(booking.day),
        "window": window_words(service, booking.day, booking.slot),
    }


def remember(code: str) -> None:
    """Lets this browser view the booking it made or opened (and no other)."""
    codes = [c for c in session.get(SEEN_CODES, []) if c != code]
    session[SEEN_CODES] = [*codes, code][-_SEEN_KEEP:]


def _form_errors(form: dict[str, str]) -> dict[str, str]:
    """Each field's problem, in the visitor's language; empty when all are right."""
    errors: dict[str, str] = {}
    name = " ".join(form["name"].split())
    if not name or len(name) > NAME_LENGTH:
        errors["name"] = t("bk_err_name")
    try:
        checked_nik(form["nik"])
    except Refused:
        errors["nik"] = t("bk_err_nik")
    phone = re.sub(r"[\s\-().]", "", form["phone"])
    if phone and not _PHONE.match(phone):
        errors["phone"] = t("bk_err_phone")
    return errors


def _masked(nik: str) -> str:
    """The NIK as the confirmation shows it: its last four digits only."""
    return "•" * 12 + checked_nik(nik)[-4:]


def slot_key(start: dt.time) -> str:
    """A slot as it is written in an address: "0830"."""
    return f"{start:%H%M}"
