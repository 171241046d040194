"""Logging in and out, and the language switch."""

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from broker.web.audit import AuditEvent
from broker.web.context import context
from broker.web.i18n import LANGUAGES, t
from broker.web.security import current_user, throttle

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/")
def home() -> Response:
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login"))
    endpoints = current_app.view_functions
    if user.manages and "admin.index" in endpoints:
        return redirect(url_for("admin.index"))
    if "counter.choose" in endpoints:
        return redirect(url_for("counter.choose"))
    return Response(render_template("message.html", message=user.name))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    error = ""
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        address = request.remote_addr or "?"
        accounts = context().accounts
        if throttle().blocked(address, username):
            accounts.audit.record(AuditEvent.LOGIN_BLOCKED, username, address)
            return render_template("login.html", error=t("too_many")), 429
        user = accounts.authenticate(username, password)
        if user is None:
            throttle().failed(address, username)
            accounts.audit.record(AuditEvent.LOGIN_FAILED, username, address)
            error = t("bad_login")
        else:
            throttle().succeeded(address, username)
            accounts.audit.record(AuditEvent.LOGIN, user.username, address)
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
    """Ends every session of the user, not only this browser's: a cookie copied before
    (on a shared counter PC, say) opens nothing afterwards."""
    user = current_user()
    if user is not None:
        accounts = context().accounts
        accounts.end_sessions(user.id)
        accounts.audit.record(AuditEvent.LOGOUT, user.username, request.remote_addr or "?")
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
    """Only a path on this site: never a redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("auth.home")
