"""The REST API under /api/v1: the queue's state and operations for other systems.

Each call carries `Authorization: Bearer <token>` (a token made for a staff account
on the Petugas page); a browser session counts for nothing here, which is why the
CSRF check can skip these paths. The operations go through the same
`RequestHandler` as MQTT, so a ticket taken or a counter command sent here is
decided, saved and answered exactly as from a kiosk or a counter keypad.
`openapi.json` describes every route (see `broker.web.openapi`).
"""

import datetime as dt
import logging
import uuid
from typing import TypeVar

import msgspec
from flask import Blueprint, Flask, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from broker.engine.engine import Decision, QueueEngine, Refused
from broker.queue_service import Operation
from broker.requests import RequestHandler, digest
from broker.views import queue_state, recent_calls, ticket_info
from broker.web.accounts import User
from broker.web.context import context
from broker.web.openapi import (
    API_PREFIX,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    CommandBody,
    IssueBody,
    Problem,
    document,
)
from contract.messages import Answer, CounterCommand, TicketInfo, encode
from contract.reasons import Reason, reason_text

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

# The central keeps as many recent calls in its retained state.
RECENT_CALLS = 10

B = TypeVar("B", IssueBody, CommandBody)

_API_WORDS = {
    UNAUTHORIZED: ("Token API tidak ada atau tidak berlaku", "Missing or invalid API token"),
    FORBIDDEN: ("Token ini tidak berhak atas loket ini", "This token may not use this counter"),
    NOT_FOUND: ("Alamat API tidak dikenal", "No such API route"),
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


# -- plumbing ------------------------------------------------------------------------


@bp.before_request
def _authenticate() -> Response | None:
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    bearer = scheme.lower() == "bearer" and bool(token)
    user = context().accounts.user_for_token(token) if bearer else None
    if user is None:
        response = _problem(401, UNAUTHORIZED)
        response.headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token"' if token else 'Bearer realm="antre"'
        )
        return response
    g.api_user = user
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """Werkzeug's own errors (a body over the size limit, say) as JSON too."""
    status = error.code or 500
    return _json(
        Problem(
            reason=NOT_FOUND if status == 404 else Reason.BAD_REQUEST.value,
            message=error.description or error.name,
            message_en=error.description or error.name,
        ),
        status,
    )


def _user() -> User:
    user: User = g.api_user
    return user


def _json(message: msgspec.Struct, status: int = 200) -> Response:
    return Response(encode(message), status, mimetype="application/json")


def _problem(status: int, code: str, detail: str = "") -> Response:
    indonesian, english = _API_WORDS[code]
    return _json(
        Problem(
            reason=code,
            message=f"{indonesian}: {detail}" if detail else indonesian,
            message_en=f"{english}: {detail}" if detail else english,
        ),
        status,
    )


def _refused(reason: Reason, detail: str = "") -> Problem:
    """Like `broker.requests.refusal`: only a bad request says what was wrong."""
    message = reason_text(reason)
    return Problem(
        reason=reason.value,
        message=f"{message}: {detail}" if detail and reason is Reason.BAD_REQUEST else message,
        message_en=reason_text(reason, "en"),
    )


def _status(answer: Answer | Problem) -> int:
    """The HTTP status of an answer: 200 when done, else by its reason."""
    if answer.ok:
        return 200
    reason = answer.reason
    if reason == Reason.BAD_REQUEST:
        return 400
    if reason == Reason.UNAVAILABLE:
        return 503
    if reason in (Reason.UNKNOWN_SERVICE, Reason.UNKNOWN_COUNTER, Reason.UNKNOWN_TICKET):
        return 422
    return 409


def _body(kind: type[B]) -> B | str:
    """The request's JSON body as `kind`, or what is wrong with it."""
    payload = request.get_data(cache=False)
    if not payload.strip():
        return "the body must be a JSON object"
    try:
        body: B = msgspec.json.decode(payload, type=kind)
    except msgspec.ValidationError as e:
        return str(e)
    except msgspec.DecodeError as e:
        return f"not JSON: {e}"
    return body


def _handler() -> RequestHandler:
    ctx = context()
    return RequestHandler(ctx.queue, ctx.links)


def _now() -> dt.datetime:
    # The queue's own clock: a simulated day in a demo is the API's day too.
    now: dt.datetime = context().queue.now()
    return now


# -- routes --------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(msgspec.json.encode(document()), mimetype="application/json")


@bp.get("/state")
def state() -> Response:
    ctx = context()
    now, seq, notice = _now(), ctx.hub.version, ctx.notice
    found = ctx.queue.read(
        lambda engine: queue_state(engine, seq, now, recent_calls(engine, RECENT_CALLS), notice)
    )
    return _json(found)


@bp.get("/tickets/<path:ticket_id>")
def ticket(ticket_id: str) -> Response:
    ctx = context()
    links = ctx.links

    def find(engine: QueueEngine) -> TicketInfo:
        wanted = ticket_id if "/" in ticket_id else f"{engine.day.isoformat()}/{ticket_id}"
        return ticket_info(engine, engine.ticket(wanted), ctx.queue.now(), links)

    try:
        found = ctx.queue.read(find)
    except Refused as e:
        return _json(_refused(e.reason, e.detail), 404)
    return _json(found)


@bp.post("/tickets")
def issue() -> Response:
    body = _body(IssueBody)
    if isinstance(body, str):
        return _json(_refused(Reason.BAD_REQUEST, body), 400)
    user = _user()
    request_id = body.id or uuid.uuid4().hex
    actor = f"api:{user.username}"
    service, priority = body.service, body.priority

    def issuing(engine: QueueEngine, now: dt.datetime) -> Decision:
        return engine.issue(service, now, priority=priority, actor=actor)

    key = f"api/{user.username}/issue/{request_id}"
    answer = _carry_out(key, request_id, issuing, digest(body))
    if answer.ok and answer.ticket is not None:
        return _json(answer.ticket, 201)
    if answer.ok:  # done but no ticket to show: cannot happen for an issue
        return _json(_refused(Reason.UNAVAILABLE), 503)
    refusal = Problem(
        reason=answer.reason or Reason.UNAVAILABLE.value,
        message=answer.message,
        message_en=answer.message_en,
    )
    return _json(refusal, _status(refusal))


@bp.post("/counters/<int:number>/commands")
def command(number: int) -> Response:
    user = _user()
    if number not in context().site.counters_by_number:
        return _json(_refused(Reason.UNKNOWN_COUNTER, str(number)), 404)
    if not user.may_use_counter(number):
        return _problem(403, FORBIDDEN, f"loket {number}")
    body = _body(CommandBody)
    if isinstance(body, str):
        answer = Answer(
            id="",
            ok=False,
            reason=Reason.BAD_REQUEST.value,
            message=f"{reason_text(Reason.BAD_REQUEST)}: {body}",
            message_en=reason_text(Reason.BAD_REQUEST, "en"),
        )
        return _json(answer, 400)
    request_id = body.id or uuid.uuid4().hex
    order = CounterCommand(
        id=request_id,
        action=body.action,
        service=body.service,
        ticket=body.ticket,
    )
    handler = _handler()
    # The very mapping the MQTT side uses, with the API user as the actor.
    operation = handler.counter_operation(number, order, f"api:{user.username}")
    if isinstance(operation, Answer):
        answer = operation
    else:
        key = f"api/{user.username}/counter/{number}/{request_id}"
        answer = _carry_out(key, request_id, operation, digest(order), handler)
    return _json(answer, _status(answer))


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str) -> Response:
    """Any other address under /api/v1: a JSON 404, not an HTML page."""
    return _problem(404, NOT_FOUND, f"{request.method} {request.path}")


def _carry_out(
    key: str,
    request_id: str,
    operation: Operation,
    asked: str,
    handler: RequestHandler | None = None,
) -> Answer:
    """Runs an operation as `RequestHandler` does for MQTT: once per request key."""
    reply = (handler or _handler()).carry_out(key, request_id, operation, asked)
    if reply.answer is None:  # never for a carried-out request; be safe all the same
        log.error("no answer for %s", key)
        return Answer(
            id=request_id,
            ok=False,
            reason=Reason.UNAVAILABLE.value,
            message=reason_text(Reason.UNAVAILABLE),
            message_en=reason_text(Reason.UNAVAILABLE, "en"),
        )
    return reply.answer
