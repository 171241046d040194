"""The citizen's ticket page, behind the QR code: no login, light for a cheap phone.

The address holds an unguessable token (`broker.ticket_links`), never the number.
The page is complete as served; a few lines of script update it live through
server-sent events, and without script it simply refreshes itself.
"""

import json
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, abort, render_template, stream_with_context

from broker.engine.tickets import TicketState
from broker.views import ticket_info
from broker.web.context import context
from broker.web.i18n import t
from contract.messages import TicketInfo

bp = Blueprint("ticket_page", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@dataclass(frozen=True, slots=True)
class TicketView:
    """What the page says, in the visitor's language."""

    number: str
    service: str
    agency: str
    state: str
    headline: str
    ahead: int | None
    wait: str
    counter: str

    def as_json(self) -> str:
        return json.dumps(
            {
                "state": self.state,
                "headline": self.headline,
                "ahead": self.ahead,
                "wait": self.wait,
                "counter": self.counter,
            }
        )


@bp.get("/t/<token>")
def page(token: str) -> str:
    view = _view(token)
    return render_template("ticket.html", view=view, token=token)


@bp.get("/t/<token>/events")
def events(token: str) -> Response:
    _view(token)  # 404 before opening a stream for a token that leads nowhere
    # The stream outlives the request: keep its context (the app, the session language).
    stream = stream_with_context(context().hub.stream(lambda: _view(token).as_json()))
    return Response(
        stream,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _view(token: str) -> TicketView:
    ctx = context()
    links = ctx.links
    if links is None:
        abort(404)

    def find() -> TicketInfo | None:
        ticket = links.find(ctx.queue.engine, token)
        return ticket_info(ctx.queue.engine, ticket, ctx.queue.now()) if ticket else None

    info = ctx.queue.read(lambda engine: find())
    if info is None:
        abort(404)
    return _describe(info)


def _describe(info: TicketInfo) -> TicketView:
    state = TicketState(info.state)
    counter = ""
    if info.counter is not None:
        counter = f"{t('counter')} {info.counter}"
    if state is TicketState.WAITING:
        headline = t("waiting")
        wait = (
            f"± {info.wait_minutes} {t('minutes')}"
            if info.wait_minutes is not None
            else t("unknown")
        )
        return TicketView(
            info.number, info.service_name, info.agency, state, headline, info.ahead, wait, ""
        )
    if state is TicketState.CALLED:
        headline = f"{t('go_to')} {counter}"
    elif state is TicketState.FINISHED:
        headline = t("done")
    else:
        headline = t(f"state_{state.value}")
    return TicketView(
        info.number, info.service_name, info.agency, state, headline, None, "", counter
    )
