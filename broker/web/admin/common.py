"""What every administration page shares: the blueprint, who may open it, the
refusal of a form value, and the check of a one-line text."""

import logging
import unicodedata

from flask import (
    Blueprint,
    Flask,
)
from werkzeug.wrappers import Response

from broker.web.accounts import Role
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
    """A form value that cannot be used, or a live edit refused; the message is for the
    visitor, `status` the page's status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def has_control(text: str) -> bool:
    """Control characters and line breaks: none belongs in a one-line text."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)
