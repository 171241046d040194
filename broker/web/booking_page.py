"""The citizens' booking pages on the public listener, under /b/: light for an old phone.

Server-rendered HTML and a small style sheet, no script: the steps are in
`broker.web.booking_flow`, cancelling and moving in `broker.web.booking_manage`. Every
post carries the session's CSRF token and spends one attempt of the client's address
(`broker.web.booking_limit`).
"""

from flask import Blueprint, Flask, redirect, request, session
from werkzeug.wrappers import Response

from broker.web import booking_manage
from broker.web.booking_common import LIMITER
from broker.web.booking_flow import flow_blueprint
from broker.web.booking_limit import AttemptLimiter
from broker.web.i18n import LANGUAGES

# Where the public pages live; the public listener serves this prefix (live_feeds).
PUBLIC_PREFIX = "/b"

_switch = Blueprint("booking_language", __name__, url_prefix=PUBLIC_PREFIX)


def init_app(app: Flask) -> None:
    app.extensions[LIMITER] = AttemptLimiter(
        app.config["BOOKING_ATTEMPTS_BURST"], app.config["BOOKING_ATTEMPTS_PER_MINUTE"]
    )
    app.register_blueprint(flow_blueprint("booking", PUBLIC_PREFIX, staff=False))
    app.register_blueprint(_switch)
    booking_manage.init_app(app)


@_switch.get("/language/<lang>")
def switch_language(lang: str) -> Response:
    """The language switch as a plain link: no form, so it works on any phone."""
    session["lang"] = lang if lang in LANGUAGES else "id"
    target = request.args.get("next", "")
    safe = target.startswith(PUBLIC_PREFIX + "/") and "//" not in target
    return redirect(target if safe else f"{PUBLIC_PREFIX}/", 303)
