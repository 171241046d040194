"""The counter console: a clerk calls, recalls, skips, transfers and finishes tickets.

It works on a tablet at the counter, with or without JavaScript: every button is a form
that posts normally, and `static/counter.js` turns those posts into fetches and keeps
the page current through server-sent events. Every action goes through the same
`QueueService` as the MQTT side and maps to the same engine operation as
`broker.requests`, so a call from the web and a call from a counter keypad behave the
same.
"""

import datetime as dt
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

import msgspec
from flask import (
    Blueprint,
    Flask,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from broker.engine.engine import QueueEngine
from broker.engine.tickets import Ticket, TicketState
from broker.requests import RequestHandler, digest
from broker.web.accounts import User
from broker.web.context import WebContext, context
from broker.web.i18n import language, t
from broker.web.live import FeedEnded, add_feed, live_response
from broker.web.security import current_user, login_required
from contract.messages import Answer, CounterAction, CounterCommand
from contract.reasons import Reason, reason_text
from contract.site import Site

bp = Blueprint("counter", __name__)

# The contract's counter actions: the console, the API and MQTT know the same ones.
ACTIONS = get_args(CounterAction)
# What a page sends so that a repeated post (a double tap, a resent form) acts once.
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Where a message for the next console page waits (shown once, then dropped).
_MESSAGE_KEY = "counter_message"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_feed(app, FEED, live_feed)


# -- pages -------------------------------------------------------------------------------


@bp.get("/counter/")
@login_required()
def choose() -> str:
    """The counters this user may work, with what each is doing now."""
    user = _user()
    ctx = context()
    numbers = [c.number for c in ctx.site.counters if user.may_use_counter(c.number)]
    counters = ctx.queue.read(lambda engine: [_counter_summary(engine, n) for n in numbers])
    return render_template("counter_choose.html", counters=counters)


@bp.get("/counter/<int:number>")
@login_required()
def console(number: int) -> str:
    """The console of one counter: the ticket served, the buttons, the waiting counts."""
    _allowed(number)
    ctx = context()
    live = _live(ctx, number)
    message = session.pop(_MESSAGE_KEY, None)
    return render_template(
        "counter.html",
        number=number,
        live=live,
        services=ctx.site.services,
        message=message if isinstance(message, dict) else None,
        nonce=secrets.token_urlsafe(12),
    )


@bp.get("/counter/<int:number>/events")
@login_required()
def events(number: int) -> Response:
    """Server-sent events: the console's live part now, then after every change."""
    user = _allowed(number)
    # The stream runs after this request has returned: it takes what it needs now, and
    # the session it was opened under, which every later view checks again.
    ctx = context()
    args = [str(number), str(user.id), str(user.session_epoch)]
    render = live_feed(ctx, args)
    assert render is not None
    return live_response(" ".join([FEED, *args]), lambda: ctx.hub.stream(render))


FEED = "counter"


def live_feed(ctx: WebContext, args: list[str]) -> Callable[[], str] | None:
    """The console's live part of counter `args[0]` as JSON, for as long as the session
    of user `args[1]` opened under epoch `args[2]` stands and may work the counter: a
    logout, a password change or reset, a disabled account or a counter taken away ends
    the stream (`FeedEnded`) at its next view. None: no such counter."""
    if len(args) != 3 or not all(arg.isdigit() for arg in args):
        return None
    number, user_id, epoch = map(int, args)
    if number not in ctx.site.counters_by_number:
        return None

    def render() -> str:
        # The accounts as of this change, read once for every console open: a change
        # of an account is a change too (`WebContext` has the accounts tell the hub).
        users = ctx.per_change("staff accounts", ctx.accounts.by_id)
        user = users.get(user_id)
        if user is None or not user.holds_session(epoch) or not user.may_use_counter(number):
            raise FeedEnded(f"counter {number}: the session of user {user_id} is over")
        return json.dumps(_live(ctx, number), ensure_ascii=False)

    return render


@bp.post("/counter/<int:number>/<action>")
@login_required()
def act(number: int, action: str) -> Response | tuple[Response, int]:
    """Carries out one clerk's action; JSON for the page's script, a redirect otherwise."""
    user = _allowed(number)
    if action not in ACTIONS:
        abort(404)
    ctx = context()
    outcome = _carry_out(ctx, user, number, action)
    if _wants_json():
        body = {
            "ok": outcome.ok,
            "reason": outcome.reason.value if outcome.reason else None,
            "message": outcome.message,
            "ticket": outcome.ticket,
            "live": _live(ctx, number),
        }
        return jsonify(body), outcome.status
    session[_MESSAGE_KEY] = {"text": outcome.message, "ok": outcome.ok}
    return redirect(url_for("counter.console", number=number))


# -- carrying out an action ---------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    ok: bool
    message: str
    reason: Reason | None = None
    ticket: dict[str, Any] | None = None
    status: int = 200


def _carry_out(ctx: WebContext, user: User, number: int, action: str) -> Outcome:
    """An action as a counter command, through the very path MQTT and the API take."""
    form = request.form
    sent_id = form.get("request_id", "")
    # The page's own id: a repeated post (a double tap, a resent form) acts once.
    request_id = sent_id if _REQUEST_ID.fullmatch(sent_id) else uuid.uuid4().hex
    fields = {"id": request_id, "action": action, "clerk": user.username}
    for name in ("service", "ticket"):  # what a clerk typed, as the contract writes it
        if form.get(name, "").strip():
            fields[name] = form[name].strip().upper()
    try:
        command = msgspec.convert(fields, CounterCommand)
    except msgspec.ValidationError as e:
        return _bad_request(str(e))
    handler = RequestHandler(ctx.queue, ctx.links)
    operation = handler.counter_operation(number, command, f"web:{user.username}@counter-{number}")
    if isinstance(operation, Answer):  # a transfer without a service, a bring-back without a ticket
        return _bad_request(t(_MISSING[action]))
    key = f"web/{number}/{request_id}"
    reply = handler.carry_out(key, request_id, operation, digest(command))
    assert reply.answer is not None
    return _outcome(action, reply.answer, language())


_MISSING = {"transfer": "counter_need_service", "bring_back": "counter_need_ticket"}


def _bad_request(detail: str) -> Outcome:
    reason = Reason.BAD_REQUEST
    return Outcome(False, f"{reason_text(reason, language())}: {detail}", reason, status=400)


_DONE_WORDS = {
    "call_next": "counter_msg_called",
    "recall": "counter_msg_recalled",
    "skip": "counter_msg_skipped",
    "finish": "counter_msg_finished",
    "transfer": "counter_msg_transferred",
    "bring_back": "counter_msg_brought_back",
    "pause": "counter_msg_paused",
    "resume": "counter_msg_resumed",
}


def _outcome(action: str, answer: Answer, lang: str) -> Outcome:
    """What the console says of an answer: in the clerk's words, with its ticket."""
    reason = Reason(answer.reason) if answer.reason else None
    shown: dict[str, Any] | None = msgspec.to_builtins(answer.ticket) if answer.ticket else None
    if not answer.ok:
        status = {Reason.UNAVAILABLE: 503, Reason.BAD_REQUEST: 400}.get(
            reason or Reason.BAD_REQUEST, 200
        )
        return Outcome(False, reason_text(reason or Reason.BAD_REQUEST, lang), reason, None, status)
    if reason is not None:  # done, with a note: the queue is empty now
        return Outcome(True, reason_text(reason, lang), reason, shown)
    ticket = answer.ticket
    words = t(_DONE_WORDS[action]).format(
        number=ticket.number if ticket else "", service=ticket.service_name if ticket else ""
    )
    return Outcome(True, words, None, shown)


# -- what the pages show -----------------------------------------------------------------


def _live(ctx: WebContext, number: int) -> dict[str, Any]:
    """The console's changing part, as JSON for the page and its event stream.

    No words of the visitor's language in it: the stream outlives the request.
    """
    site = ctx.site
    now = _now(ctx)
    standing = _standing(ctx)
    return ctx.queue.read(lambda engine: _live_view(site, engine, number, now, standing))


@dataclass(frozen=True, slots=True)
class _Standing:
    """What every console shows beside its own counter, read once per change for all of
    them: the skipped tickets, and the numbers kiosks hold in reserve by service."""

    skipped: list[Ticket]
    reserved: dict[str, list[str]]


def _standing(ctx: WebContext) -> _Standing:
    def read(engine: QueueEngine) -> _Standing:
        skipped: list[Ticket] = []
        reserved: dict[str, list[Ticket]] = {}
        for ticket in engine.tickets():
            if ticket.state is TicketState.SKIPPED:
                skipped.append(ticket)
            elif ticket.state is TicketState.RESERVED:
                reserved.setdefault(ticket.prefix, []).append(ticket)
        numbers = {
            prefix: [t.number for t in sorted(tickets, key=lambda t: t.seq)]
            for prefix, tickets in reserved.items()
        }
        return _Standing(skipped, numbers)

    return ctx.per_change("counter consoles", lambda: ctx.queue.read(read))


def _live_view(
    site: Site, engine: QueueEngine, number: int, now: dt.datetime, standing: _Standing
) -> dict[str, Any]:
    spec = site.counters_by_number[number]
    state = engine.counter(number)
    serving = engine.ticket(state.current) if state.current else None
    grace = dt.timedelta(minutes=site.queue.no_show_grace_minutes)
    skipped = sorted(
        (
            ticket
            for ticket in standing.skipped
            if ticket.service in spec.services
            and ticket.skipped_at is not None
            and now - ticket.skipped_at <= grace
        ),
        key=lambda ticket: ticket.skipped_at or ticket.issued_at,
    )
    return {
        "counter": number,
        "name": spec.display_name,
        "paused": state.paused,
        "serving": _serving_view(site, serving) if serving else None,
        "services": [
            {
                "prefix": prefix,
                "name": _service_name(site, prefix),
                "waiting": engine.waiting_count(prefix),
                "reserved": standing.reserved.get(prefix, []),
            }
            for prefix in spec.services
        ],
        "skipped": [
            {
                "id": ticket.id,
                "number": ticket.number,
                "service": ticket.service,
                "service_name": _service_name(site, ticket.service),
                "until": _clock_time(site, (ticket.skipped_at or now) + grace),
            }
            for ticket in skipped
        ],
    }


def _serving_view(site: Site, ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": _service_name(site, ticket.service),
        "priority": ticket.priority,
        "recalls": ticket.recalls,
        "called_at": _clock_time(site, ticket.called_at) if ticket.called_at else None,
    }


def _counter_summary(engine: QueueEngine, number: int) -> dict[str, Any]:
    site = engine.site
    spec = site.counters_by_number[number]
    state = engine.counter(number)
    serving = engine.ticket(state.current) if state.current else None
    return {
        "number": number,
        "name": spec.display_name,
        "services": [
            {
                "prefix": prefix,
                "name": _service_name(site, prefix),
                "waiting": engine.waiting_count(prefix),
            }
            for prefix in spec.services
        ],
        "paused": state.paused,
        "serving": serving.number if serving else None,
    }


def _service_name(site: Site, prefix: str) -> str:
    spec = site.services_by_prefix.get(prefix)
    return spec.name if spec else prefix


def _clock_time(site: Site, moment: dt.datetime) -> str:
    return moment.astimezone(site.site.timezone).strftime("%H:%M")


def _now(ctx: WebContext) -> dt.datetime:
    """The queue service's time (a simulated clock in demos and tests)."""
    return ctx.queue.now()


# -- who may do what ---------------------------------------------------------------------


def _user() -> User:
    user = current_user()
    assert user is not None  # login_required let the request through
    return user


def _allowed(number: int) -> User:
    """The user, if the counter exists (404) and they may work it (403)."""
    user = _user()
    if number not in context().site.counters_by_number:
        abort(404)
    if not user.may_use_counter(number):
        abort(403)
    return user


def _wants_json() -> bool:
    """The page's script asks for JSON; a browser posting a form prefers HTML."""
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["text/html"]
