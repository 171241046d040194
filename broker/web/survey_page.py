"""The citizen's survey form behind the ticket's QR code: the nine SKM elements.

`/t/<token>/survei` opens once the ticket is finished (refused before: 409), takes one
response per ticket (a second is refused: 409) and stays open `FORM_DAYS` days after the
ticket's day. No login; the form carries the session's CSRF token like every other form.
"""

import datetime as dt
from contextlib import closing
from dataclasses import dataclass

from flask import Blueprint, Flask, abort, render_template, request

from broker.engine.tickets import TicketState
from broker.ikm import ELEMENTS
from broker.survey import (
    FORM_DAYS,
    AlreadyAnswered,
    NotFinished,
    SurveyStore,
    TicketFacts,
    respond,
)
from broker.web.context import context
from broker.web.i18n import language, t

bp = Blueprint("survey_page", __name__)
CHOICES = (1, 2, 3, 4)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@dataclass(frozen=True, slots=True)
class Question:
    code: str
    name: str
    question: str


@bp.route("/t/<token>/survei", methods=["GET", "POST"])
def form(token: str) -> tuple[str, int] | str:
    ctx = context()
    ticket = find_ticket(token)
    with closing(SurveyStore(ctx.database)) as store:
        if ticket.state is not TicketState.FINISHED:
            return _message(token, ticket, t("survey_not_finished"), 409)
        if store.response(ticket.id) is not None:
            return _message(token, ticket, t("survey_already"), 409 if _posted() else 200)
        if not _posted():
            return _form(token, ticket, {}, "")
        chosen = _chosen()
        if len(chosen) != len(ELEMENTS):
            return _form(token, ticket, chosen, t("survey_incomplete")), 400
        ratings = [chosen[element.code] for element in ELEMENTS]
        try:
            respond(store, ctx.site, ticket, ratings, ctx.queue.now())
        except AlreadyAnswered:
            return _message(token, ticket, t("survey_already"), 409)
        except NotFinished:
            return _message(token, ticket, t("survey_not_finished"), 409)
    return _message(token, ticket, t("survey_thanks"), 200)


def find_ticket(token: str) -> TicketFacts:
    """Today's ticket behind the token, or a finished one of the last `FORM_DAYS` days."""
    ctx = context()
    links = ctx.links
    if links is None:
        abort(404)
    today, ticket = ctx.queue.read(lambda engine: (engine.day, links.find(engine, token)))
    if ticket is None and ctx.catch_up():  # finished a moment ago
        today, ticket = ctx.queue.read(lambda engine: (engine.day, links.find(engine, token)))
    if ticket is not None:
        return TicketFacts.of(ticket)
    since = today - dt.timedelta(days=FORM_DAYS)
    with closing(SurveyStore(ctx.database)) as store:
        earlier = store.finished_tickets(since, today)
    found = next((facts for facts in earlier if links.token(facts.id) == token), None)
    if found is None:
        abort(404)
    return found


def _posted() -> bool:
    return request.method == "POST"


def _chosen() -> dict[str, int]:
    """The ratings the form sent, by element code; anything else is left out."""
    chosen = {}
    for element in ELEMENTS:
        value = request.form.get(element.code, "")
        if value.isdigit() and int(value) in CHOICES:
            chosen[element.code] = int(value)
    return chosen


def _questions() -> list[Question]:
    english = language() == "en"
    return [
        Question(
            element.code,
            element.name_en if english else element.name,
            t(f"question_{element.code}"),
        )
        for element in ELEMENTS
    ]


def _form(token: str, ticket: TicketFacts, chosen: dict[str, int], error: str) -> str:
    return render_template(
        "survey_form.html",
        token=token,
        ticket=ticket,
        service=_service_name(ticket.service),
        questions=_questions(),
        choices=[(value, t(f"choice_{value}")) for value in CHOICES],
        chosen=chosen,
        error=error,
    )


def _message(token: str, ticket: TicketFacts, message: str, status: int) -> tuple[str, int]:
    page = render_template(
        "survey_message.html",
        token=token,
        ticket=ticket,
        service=_service_name(ticket.service),
        message=message,
        today=ticket.day == context().queue.read(lambda engine: engine.day),
    )
    return page, status


def _service_name(prefix: str) -> str:
    service = context().site.services_by_prefix.get(prefix)
    if service is None:
        return prefix
    return service.name_en if language() == "en" and service.name_en else service.name
