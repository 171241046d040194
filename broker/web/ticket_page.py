"""The citizen's ticket page, behind the QR code: no login, light for a cheap phone.

The address holds an unguessable token (`broker.ticket_links`), never the number.
The page is complete as served; a few lines of script update it live through
server-sent events, and without script it simply refreshes itself.
"""

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, abort, render_template

from broker.engine.tickets import Ticket, TicketState
from broker.engine.waiting import Position
from broker.views import RANGE_STEP_MINUTES, ticket_info
from broker.web.context import WebContext, context
from broker.web.i18n import language, t
from broker.web.live import add_feed, live_response
from contract.messages import TicketInfo

bp = Blueprint("ticket_page", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_feed(app, FEED, live_feed)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Today's tickets and the places of those waiting, as of one change of the queue."""

    tickets: dict[str, Ticket]
    positions: dict[str, Position]
    now: dt.datetime


def _snapshot(ctx: WebContext) -> _Snapshot:
    """One reading per change for every ticket page: copied under the queue's lock and
    sorted after it (`QueueEngine.waiting_now`), so a call is never held up by the pages."""

    def read() -> _Snapshot:
        waiting = ctx.queue.read(lambda engine: engine.waiting_now())
        return _Snapshot(waiting.tickets, waiting.positions(), ctx.queue.now())

    return ctx.per_change("ticket pages", read)


def _find(ctx: WebContext, token: str) -> tuple[_Snapshot, Ticket] | None:
    """The snapshot and today's ticket behind a token, or None (a wrong or old token)."""
    if ctx.links is None:
        return None
    snapshot = _snapshot(ctx)
    ticket_id = ctx.links.ticket_id(token, lambda: list(snapshot.tickets))
    ticket = snapshot.tickets.get(ticket_id) if ticket_id else None
    return (snapshot, ticket) if ticket is not None else None


def _info(found: tuple[_Snapshot, Ticket], ctx: WebContext) -> TicketInfo:
    snapshot, ticket = found
    position = snapshot.positions.get(ticket.id)
    return ticket_info(ctx.queue.engine, ticket, snapshot.now, position=position)


def _key(found: tuple[_Snapshot, Ticket]) -> tuple[object, ...]:
    """What the ticket's page shows depends on, and nothing more: its state, counter,
    people ahead, its estimate to the minute (the range to its 5-minute steps) and the
    minute (a wait crosses a break as time passes).

    The estimates move a little with every change anywhere in the hall: keyed on their
    exact values, every open page would be rendered again after each call."""
    snapshot, ticket = found
    minute = snapshot.now.replace(second=0, microsecond=0)
    position = snapshot.positions.get(ticket.id)
    shown: tuple[object, ...] = ()
    if position is not None:
        estimate = position.estimate
        shown = (position.ahead,)
        if estimate is not None:
            step = RANGE_STEP_MINUTES
            shown += (
                math.ceil(estimate.wait),
                math.floor(estimate.low / step),
                math.ceil(estimate.high / step),
            )
    return (ticket.id, ticket.state, ticket.counter, shown, minute)


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
    ctx, lang = context(), language()
    render = live_feed(ctx, [token, lang])
    assert render is not None
    return live_response(f"{FEED} {token} {lang}", lambda: ctx.hub.stream(render))


FEED = "ticket"


def live_feed(ctx: WebContext, args: list[str]) -> Callable[[], str | None] | None:
    """The page's view of ticket `args[0]` in language `args[1]`, as JSON; the render
    gives None once the token leads nowhere (a new day)."""
    if len(args) != 2:
        return None
    token, lang = args

    shown: list[object] = [None]

    def render() -> str | None:
        # After a call elsewhere in the hall most pages have nothing new: a few lookups
        # tell, and only a page whose ticket moved is rendered again.
        found = _find(ctx, token)
        if found is None or _key(found) == shown[0]:
            return None
        shown[0] = _key(found)
        return _describe(_info(found, ctx), lang).as_json()

    return render


def _view(token: str) -> TicketView:
    ctx = context()
    found = _find(ctx, token)
    if found is None and ctx.catch_up():  # the ticket printed a moment ago
        found = _find(ctx, token)
    if found is None:
        abort(404)
    return _describe(_info(found, ctx), language())


def _describe(info: TicketInfo, lang: str) -> TicketView:
    state = TicketState(info.state)
    counter = ""
    if info.counter is not None:
        counter = f"{t('counter', lang)} {info.counter}"
    if state is TicketState.WAITING:
        headline = t("waiting", lang)
        wait = t("unknown", lang)
        if info.wait_min_minutes is not None and info.wait_max_minutes is not None:
            wait = f"{info.wait_min_minutes}-{info.wait_max_minutes} {t('minutes', lang)}"
        elif info.wait_minutes is not None:  # from a central older than the range
            wait = f"± {info.wait_minutes} {t('minutes', lang)}"
        if info.ahead == 0 or info.wait_minutes == 0:  # "segera", never "± 0 menit"
            wait = t("soon", lang)
        return TicketView(
            info.number, info.service_name, info.agency, state, headline, info.ahead, wait, ""
        )
    if state is TicketState.CALLED:
        headline = f"{t('go_to', lang)} {counter}"
    elif state is TicketState.FINISHED:
        headline = t("done", lang)
    else:
        headline = t(f"state_{state.value}", lang)
    return TicketView(
        info.number, info.service_name, info.agency, state, headline, None, "", counter
    )
