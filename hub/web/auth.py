"""Logging in and out, the language switch, CSRF, and who may open which site."""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from hub.web import accounts
from hub.web.db import db
from hub.web.login_brake import LoginBrake
from hub.web.words import LANGUAGES, t

P = ParamSpec("P")
R = TypeVar("R")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    app.extensions["antre_hub.brake"] = LoginBrake(
        app.config["LOGIN_ATTEMPTS"], app.config["LOGIN_ATTEMPTS_PER_ADDRESS"]
    )
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.jinja_env.globals.update(csrf_token=csrf_token)
    app.register_blueprint(bp)


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _check_csrf() -> None:
    if request.method in UNSAFE_METHODS:
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf")
        if not isinstance(expected, str) or not hmac.compare_digest(
            sent.encode(), expected.encode()
        ):
            abort(400, t("bad_csrf"))


def _load_user() -> None:
    user_id = session.get("user_id")
    user = accounts.get_user(db(), user_id) if isinstance(user_id, int) else None
    if user is not None and session.get("epoch") != user.session_epoch:
        session.pop("user_id", None)
        user = None
    g.user = user


def current_user() -> accounts.User | None:
    user: accounts.User | None = g.get("user")
    return user


def login_required(view: Callable[P, R]) -> Callable[P, Any]:
    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return guarded


def visible_site() -> str | None:
    """The one site the user may see, or None for a region administrator (all)."""
    user = current_user()
    assert user is not None
    return None if user.role is accounts.Role.REGION else user.site


def require_site(site: str) -> None:
    """Another site than one's own is not found: its existence is not told either."""
    user = current_user()
    if user is None or not user.may_see(site):
        abort(404)


@bp.get("/")
def home() -> Response:
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.site is not None:
        return redirect(url_for("pages.site", site=user.site))
    return redirect(url_for("pages.region"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    error = ""
    if request.method == "POST":
        username = request.form.get("username", "")
        address = request.remote_addr or "?"
        brake: LoginBrake = current_app.extensions["antre_hub.brake"]
        moment = dt.datetime.now(dt.UTC)
        if brake.blocked(db(), address, username, moment):
            return render_template("login.html", error=t("too_many")), 429
        user = accounts.authenticate(db(), username, request.form.get("password", ""))
        if user is None:
            brake.failed(db(), address, username, moment)
            error = t("bad_login")
        else:
            brake.succeeded(db(), address, username)
            language = session.get("lang", "id")
            session.clear()
            session.permanent = True
            session["user_id"] = user.id
            session["epoch"] = user.session_epoch
            session["lang"] = language
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error)


@bp.post("/logout")
def logout() -> Response:
    user = current_user()
    if user is not None:
        accounts.end_sessions(db(), user.id)
    language = session.get("lang", "id")
    session.clear()
    session["lang"] = language
    return redirect(url_for("auth.login"))


@bp.post("/language")
def switch_language() -> Response:
    chosen = request.form.get("lang", "id")
    session["lang"] = chosen if chosen in LANGUAGES else "id"
    return redirect(_safe_next(request.form.get("next")))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("auth.home")
