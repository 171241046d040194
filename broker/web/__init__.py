"""The web console: counters, administration, reports and the citizen's ticket page."""

from collections.abc import Mapping
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from broker.web import (
    admin,
    api,
    auth,
    booking_api,
    booking_csv_page,
    booking_desk_page,
    booking_page,
    counter,
    help_desk,
    ikm_reports,
    reports,
    survey_page,
    ticket_page,
)
from broker.web.context import WebContext, context
from broker.web.i18n import language, t
from broker.web.security import UNSAFE_METHODS, LoginThrottle, csrf_ok, csrf_token

DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # A clerk's shift; the session ends after it.
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "LOGIN_ATTEMPTS": 5,
    "LOGIN_ATTEMPTS_PER_ADDRESS": 20,
    "LOGIN_WINDOW_SECONDS": 300.0,
    # Booking attempts per client address (broker/web/booking_limit.py): a burst of 12
    # posts (a family of three takes six), then one every ten seconds.
    "BOOKING_ATTEMPTS_BURST": 12,
    "BOOKING_ATTEMPTS_PER_MINUTE": 6.0,
}


def create_app(ctx: WebContext, settings: Mapping[str, Any] | None = None) -> Flask:
    """The Flask application; `settings` overrides the defaults (tests, deployment).

    SECRET_KEY must be given: the central keeps one in its state folder.
    """
    app = _new_app(ctx, settings)
    app.extensions["antre.throttle"] = LoginThrottle(
        app.config["LOGIN_ATTEMPTS"],
        app.config["LOGIN_WINDOW_SECONDS"],
        per_address=app.config["LOGIN_ATTEMPTS_PER_ADDRESS"],
    )
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    areas = (auth, counter, help_desk, admin, reports, ikm_reports, ticket_page, survey_page, api)
    bookings = (booking_page, booking_desk_page, booking_csv_page, booking_api)
    for area in (*areas, *bookings):
        area.init_app(app)
    return app


# What the citizens' own phones open: the ticket page behind the QR code, its survey,
# the booking pages.
PUBLIC_AREAS = (ticket_page, survey_page, booking_page)


def create_public_app(ctx: WebContext, settings: Mapping[str, Any] | None = None) -> Flask:
    """The citizens' pages alone (`broker.web.public_main`): no staff page is even routed,
    and `ctx` needs no staff accounts."""
    app = _new_app(ctx, settings)
    app.before_request(_no_user)
    app.before_request(_check_csrf)
    for area in PUBLIC_AREAS:
        area.init_app(app)
    return app


def _new_app(ctx: WebContext, settings: Mapping[str, Any] | None) -> Flask:
    app = Flask(__name__)
    app.session_interface = _SessionOverTls()
    app.config.update(DEFAULTS)
    app.config.update(settings or {})
    if not app.config.get("SECRET_KEY"):
        raise ValueError("the web console needs a SECRET_KEY")
    app.extensions["antre"] = ctx
    app.jinja_env.globals.update(
        t=t,
        csrf_token=csrf_token,
        language=language,
        has_endpoint=lambda name: name in app.view_functions,
    )
    app.after_request(_security_headers)
    app.register_error_handler(403, _forbidden)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    return app


class _SessionOverTls(SecureCookieSessionInterface):
    """The session cookie is Secure when the request came over HTTPS (the staff listener),
    and not on the citizens' plain-HTTP listener, where a Secure cookie would never come
    back and the survey form's CSRF token with it."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.scheme == "https" or bool(app.config["SESSION_COOKIE_SECURE"])


def _load_user() -> None:
    user_id = session.get("user_id")
    user = context().accounts.session_user(user_id, session.get("epoch"))
    if user is None and user_id is not None:
        session.pop("user_id", None)  # over: a logout, a password change, a reset
    g.user = user


def _no_user() -> None:
    g.user = None


def _check_csrf() -> None:
    # The API authenticates each call with a token, not a cookie: nothing to forge.
    api = request.path.startswith("/api/")
    if request.method in UNSAFE_METHODS and not api and not csrf_ok():
        abort(400, t("bad_csrf"))


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; img-src 'self' data:"
    )
    return response


def _favicon() -> Response:
    """The icon browsers ask for by themselves; the pages link `static/favicon.svg`."""
    folder = current_app.static_folder
    assert folder is not None
    return send_from_directory(
        folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=7 * 24 * 3600
    )


def _forbidden(error: Exception) -> tuple[str, int]:
    return render_template("message.html", message=t("forbidden")), 403
