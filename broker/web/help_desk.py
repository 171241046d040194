"""The help desk: a clerk checks a booked citizen in by code, and gets the ticket number
to write down or print for them (a citizen whose phone died, or who has no phone).

The same check-in as a kiosk's scan (`broker.bookings.arrival.check_in_operation`):
the ticket waits at the booking's slot, and the refusals are the kiosk's.
"""

import datetime as dt

from flask import Blueprint, Flask, render_template, request

from broker.bookings.arrival import check_in_operation
from broker.engine.refusal import Refused
from broker.store.sqlite_store import StoreError
from broker.views import ticket_info
from broker.web.context import context
from broker.web.i18n import language
from broker.web.security import current_user, login_required
from contract.hours import local_time
from contract.reasons import Reason, reason_text

bp = Blueprint("help_desk", __name__)

CODE_LENGTH = 64


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/help-desk/")
@login_required()
def page() -> str:
    """The check-in form."""
    return render_template("help_desk.html", result=None, code="")


@bp.post("/help-desk/check-in")
@login_required()
def check_in() -> tuple[str, int] | str:
    """Checks the booking in; the page shows the ticket number large, or why not."""
    ctx = context()
    code = request.form.get("code", "").strip()[:CODE_LENGTH]
    if ctx.bookings is None:
        return render_template("help_desk.html", result=None, code=code, unavailable=True), 404
    user = current_user()
    actor = f"help-desk:{user.username if user else ''}"
    try:
        decision = ctx.queue.run(check_in_operation(ctx.bookings.store, code, actor))
    except Refused as e:
        return render_template("help_desk.html", result=None, code=code, refusal=_why(e)), 409
    except StoreError:
        why = {"reason": Reason.UNAVAILABLE.value, "text": reason_text(Reason.UNAVAILABLE)}
        return render_template("help_desk.html", result=None, code=code, refusal=why), 503
    ticket = decision.ticket
    assert ticket is not None
    booking = ctx.bookings.store.by_ticket(ticket.id)
    info = ctx.queue.read(lambda engine: ticket_info(engine, ticket, ctx.queue.now()))
    return render_template(
        "help_desk.html", result=info, name=booking.name if booking else "", code=""
    )


def _why(refused: Refused) -> dict[str, str]:
    """The refusal as the page shows it: the words, and the number or time it names."""
    why = {"reason": refused.reason.value, "text": reason_text(refused.reason, language())}
    if refused.reason is Reason.ALREADY_CHECKED_IN:
        why["number"] = refused.detail
    if refused.reason is Reason.TOO_EARLY and refused.detail:
        opens = dt.datetime.fromisoformat(refused.detail)
        why["from"] = f"{local_time(context().site, opens):%H:%M}"
    return why
