"""The citizen's ticket page, behind the QR code: no login, light for a cheap phone.

The address holds an unguessable token (`broker.ticket_links`), never the number.
The page is complete as served; a few lines of script update it live through
server-sent events, and without script it simply refreshes itself.
"""

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, abort, render_template

from broker.engine.engine import QueueEngine
from broker.engine.tickets import Ticket, TicketState
from broker.engine.waiting import Position
from broker.views import ticket_info
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
    version: int
    tickets: dict[str, Ticket]
    positions: dict[str, Position]
    now: dt.datetime


class TicketBoard:
    """Today's tickets and their places, read once per change for all the open pages.

    After a call, hundreds of ticket pages want their view at once: one short read of
    the queue (`QueueEngine.positions`) serves them all, instead of one each.
    """

    def __init__(self, ctx: WebContext) -> None:
        self._ctx = ctx
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def info(self, token: str) -> TicketInfo | None:
        found = self._find(token)
        if found is None:
            return None
        snapshot, ticket = found
        position = snapshot.positions.get(ticket.id)
        engine = self._ctx.queue.engine
        return ticket_info(engine, ticket, snapshot.now, position=position)

    def key(self, token: str) -> tuple[object, ...] | None:
        """What the ticket's page shows depends on, and nothing more: its state, counter,
        place and the minute (a wait crosses a break as time passes)."""
        found = self._find(token)
        if found is None:
            return None
        snapshot, ticket = found
        position = snapshot.positions.get(ticket.id)
        minute = snapshot.now.replace(second=0, microsecond=0)
        return (ticket.id, ticket.state, ticket.counter, position, minute)

    def _find(self, token: str) -> tuple[_Snapshot, Ticket] | None:
        links = self._ctx.links
        if links is None:
            return None
        snapshot = self._current()
        ticket_id = links.ticket_id(token, lambda: list(snapshot.tickets))
        ticket = snapshot.tickets.get(ticket_id) if ticket_id else None
        return (snapshot, ticket) if ticket is not None else None

    def _current(self) -> _Snapshot:
        version = self._ctx.hub.version
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                # Copied under the queue's lock, sorted after: a call is never held up
                # by the ticket pages.
                waiting = self._ctx.queue.read(lambda engine: engine.waiting_now())
                now = self._ctx.queue.now()
                self._snapshot = _Snapshot(version, waiting.tickets, waiting.positions(), now)
            return self._snapshot


def _board(ctx: WebContext) -> TicketBoard:
    """The one board of the web context (made on first use)."""
    board = ctx.extras.get(TicketBoard)
    if not isinstance(board, TicketBoard):
        board = ctx.extras[TicketBoard] = TicketBoard(ctx)
    return board


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

    board = _board(ctx)
    shown: list[object] = [None]

    def render() -> str | None:
        # After a call elsewhere in the hall most pages have nothing new: a few lookups
        # tell, and only a page whose ticket moved is rendered again.
        key = board.key(token)
        if key is None or key == shown[0]:
            return None
        shown[0] = key
        info = board.info(token)
        return _describe(info, lang).as_json() if info is not None else None

    return render


def _view(token: str) -> TicketView:
    info = _info(context(), token)
    if info is None:
        abort(404)
    return _describe(info, language())


def _info(ctx: WebContext, token: str) -> TicketInfo | None:
    links = ctx.links
    if links is None:
        return None

    def find(engine: QueueEngine) -> TicketInfo | None:
        ticket = links.find(engine, token)
        return ticket_info(engine, ticket, ctx.queue.now()) if ticket else None

    return ctx.queue.read(find)


def _describe(info: TicketInfo, lang: str) -> TicketView:
    state = TicketState(info.state)
    counter = ""
    if info.counter is not None:
        counter = f"{t('counter', lang)} {info.counter}"
    if state is TicketState.WAITING:
        headline = t("waiting", lang)
        wait = (
            f"± {info.wait_minutes} {t('minutes', lang)}"
            if info.wait_minutes is not None
            else t("unknown", lang)
        )
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
