"""The region's web pages: read the roll-ups, for the region's and each site's heads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hub.web import auth, db, pages
from hub.web.words import language, t

DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # A site silent longer than this is flagged on the region's page.
    "SILENT_AFTER_MINUTES": 15,
    # Failed logins before a pause (hub.web.login_brake): per name, per address.
    "LOGIN_ATTEMPTS": 5,
    "LOGIN_ATTEMPTS_PER_ADDRESS": 20,
}


def create_app(database_url: str, settings: Mapping[str, Any] | None = None) -> Flask:
    """The Flask application on the hub's database; `settings` override the defaults.

    SECRET_KEY must be given.
    """
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(settings or {})
    app.config["DATABASE_URL"] = database_url
    if not app.config.get("SECRET_KEY"):
        raise ValueError("the hub's pages need a SECRET_KEY")
    app.jinja_env.globals.update(t=t, language=language)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    for area in (db, auth, pages):
        area.init_app(app)
    return app


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'")
    return response


def _error_page(error: HTTPException) -> tuple[str, int]:
    words = {403: t("forbidden"), 404: t("not_found")}
    message = words.get(error.code or 500, error.description or "")
    return render_template("message.html", message=message), error.code or 500
