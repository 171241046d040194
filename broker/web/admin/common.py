"""What every administration page shares: the blueprint, who may open it, the
refusal of a form value, the check of a one-line text, the 404 of an address naming
nothing, and how a form is answered."""

import logging
import unicodedata
from collections.abc import Callable
from typing import TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
)
from werkzeug.wrappers import Response

from broker.web.accounts import AccountError, Role
from broker.web.security import login_required

NAME_MAX = 120


log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__)


managers_only = login_required(Role.ADMIN, Role.MANAGER)
admins_only = login_required(Role.ADMIN)

Page = str | Response | tuple[str, int]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


class Invalid(ValueError):
    """A form value that cannot be used, or a change refused or not made (a live edit, a
    notice the displays were not sent); the message is for the visitor, `status` the
    page's status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def has_control(text: str) -> bool:
    """Control characters and line breaks: none belongs in a one-line text."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


Found = TypeVar("Found")


def found_or_404(found: Found | None) -> Found:
    """What the page's address names; naming nothing (an old link, a counter or account
    since removed) is a 404, not an error."""
    if found is None:
        abort(404)
    return found


def answer_form(act: Callable[[], Page], again: Callable[[str], str]) -> Page:
    """The answer to a form that changes something: `act` makes the change and answers
    (mostly with `done`). Refused, nothing is changed and the form's page comes `again`
    with the refusal said, so the visitor can put it right without an error page.

    Every form of these pages is answered here, so that a refusal is shown the same way
    and at the same status everywhere.
    """
    try:
        return act()
    except Invalid as refused:
        return again(str(refused)), refused.status
    except AccountError as refused:  # e.g. a username taken since the form was sent
        return again(str(refused)), 400


def done(message: str, then: str) -> Response:
    """Says `message` on the page at `then`, and sends the browser there: after a change
    the visitor sees the result, and reloading it does not send the form again."""
    flash(message, "ok")
    return redirect(then)
