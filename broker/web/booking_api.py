"""POST /api/v1/bookings: another system's booking imported, once (see
`broker.web.booking_import`), on the REST API's blueprint and token (`broker.web.api`).

The route is added to the API's blueprint when this module is imported, before any
application registers that blueprint.
"""

import datetime as dt

import msgspec
from flask import Flask, request
from werkzeug.wrappers import Response

from broker.bookings import Booking, BookingSource, check_in_window
from broker.bookings.calendar import local_moment
from broker.store.sqlite_store import StoreError
from broker.web.api import bp
from broker.web.booking_common import now
from broker.web.booking_import import ImportRequest, Outcome, import_booking
from broker.web.context import context
from broker.web.openapi import BookingInfo, ImportBody, Problem
from contract.messages import encode
from contract.reasons import Reason, reason_text

# Refusals about what was asked for (not about the moment): 422; the rest 409.
_UNPROCESSABLE = {
    Reason.UNKNOWN_SERVICE.value,
    Reason.NOT_BOOKABLE.value,
    Reason.UNKNOWN_SLOT.value,
    Reason.BAD_NIK.value,
}


def init_app(app: Flask) -> None:
    """Nothing to do: the route is on the API's blueprint (see the module's docstring)."""


def booking_info(booking: Booking) -> BookingInfo:
    """A booking as the API answers it: no NIK, no name, no phone."""
    site = context().site
    service = site.services_by_prefix.get(booking.service)
    if service is not None and service.booking is not None:
        start, until = check_in_window(site, service.booking, booking.day, booking.slot)
    else:  # the service takes no bookings any more: the slot itself
        start = until = local_moment(site, booking.day, booking.slot)
    source, _, external_id = (booking.external_id or "").partition(":")
    return BookingInfo(
        code=booking.code,
        service=booking.service,
        day=booking.day,
        slot=booking.slot_text,
        state=booking.state.value,
        check_in_from=start,
        check_in_until=until,
        source=source if booking.source is BookingSource.IMPORT else None,
        external_id=external_id if booking.source is BookingSource.IMPORT else None,
    )


@bp.post("/bookings")
def import_one() -> Response:
    try:
        body = msgspec.json.decode(request.get_data(cache=False), type=ImportBody)
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        return _problem(
            400,
            Reason.BAD_REQUEST.value,
            f"{reason_text(Reason.BAD_REQUEST)}: {e}",
            f"{reason_text(Reason.BAD_REQUEST, 'en')}: {e}",
        )
    desk = context().bookings
    if desk is None:
        return _problem(
            503,
            Reason.UNAVAILABLE.value,
            reason_text(Reason.UNAVAILABLE),
            reason_text(Reason.UNAVAILABLE, "en"),
        )
    asked = ImportRequest(
        source=body.source,
        external_id=body.external_id,
        service=body.service,
        day=body.day,
        slot=dt.time.fromisoformat(body.slot),
        name=body.name,
        nik=body.nik,
        phone=body.phone,
    )
    try:
        result = import_booking(desk, asked, now())
    except StoreError:
        return _problem(
            503,
            Reason.UNAVAILABLE.value,
            reason_text(Reason.UNAVAILABLE),
            reason_text(Reason.UNAVAILABLE, "en"),
        )
    if result.outcome is Outcome.REFUSED or result.booking is None:
        status = 400 if result.reason == Reason.BAD_REQUEST.value else 409
        if result.reason in _UNPROCESSABLE:
            status = 422
        return _problem(status, result.reason, result.message, result.message_en)
    status = 201 if result.outcome is Outcome.BOOKED else 200
    return Response(encode(booking_info(result.booking)), status, mimetype="application/json")


def _problem(status: int, reason: str, message: str, message_en: str) -> Response:
    problem = Problem(reason=reason, message=message, message_en=message_en)
    return Response(encode(problem), status, mimetype="application/json")
