"""Staff accounts (administrators only): create, change, reset a password, API tokens;
and the audit log of logins (managers too)."""

import re
from collections.abc import Callable
from typing import Any

from flask import (
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from broker.web.accounts import MIN_PASSWORD_LENGTH, Role, User
from broker.web.admin.common import (
    NAME_MAX,
    Invalid,
    Page,
    admins_only,
    answer_form,
    bp,
    done,
    found_or_404,
    has_control,
    managers_only,
)
from broker.web.audit import AuditEvent
from broker.web.context import context
from broker.web.i18n import t
from broker.web.security import current_user
from contract.site import Site

LABEL_MAX = 60
USERNAME_MAX = 40
USERNAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@bp.get("/admin/staff")
@admins_only
def staff() -> Page:
    return _staff()


@bp.post("/admin/staff")
@admins_only
def create_user() -> Page:
    form = request.form

    def create() -> Page:
        accounts = context().accounts
        username = _username(form.get("username", ""))
        if accounts.by_username(username) is not None:
            raise Invalid(t("adm_err_username_taken").format(username=username))
        name = _name(form.get("name", ""), username)
        role = _role(form.get("role", ""))
        numbers = parse_counters(form.get("counters", ""), context().site, role)
        password = _password(form.get("password", ""), form.get("password2", ""))
        user = accounts.create(username, name, role, password, tuple(numbers))
        return done(t("adm_user_created").format(username=user.username), url_for("admin.staff"))

    return answer_form(create, lambda error: _staff(error=error, draft=form.to_dict()))


@bp.post("/admin/staff/<int:user_id>")
@admins_only
def update_user(user_id: int) -> Page:
    user = _user_or_404(user_id)
    form = request.form

    def update() -> Page:
        role = _role(form.get("role", ""))
        numbers = parse_counters(form.get("counters", ""), context().site, role)
        disabled = form.get("disabled") == "on"
        name = _name(form.get("name", ""), user.username)
        me = current_user()
        if me is not None and me.id == user.id and (disabled or role is not Role.ADMIN):
            raise Invalid(t("adm_err_self"))
        context().accounts.update(
            user.id, name=name, role=role, counters=numbers, disabled=disabled
        )
        return done(t("adm_user_saved").format(username=user.username), url_for("admin.staff"))

    return answer_form(update, _staff_again(user))


@bp.post("/admin/staff/<int:user_id>/password")
@admins_only
def reset_password(user_id: int) -> Page:
    user = _user_or_404(user_id)

    def reset() -> Page:
        password = _password(request.form.get("password", ""), request.form.get("password2", ""))
        context().accounts.set_password(user.id, password)
        _audit(AuditEvent.PASSWORD_RESET, user.username)
        return done(t("adm_password_set").format(username=user.username), url_for("admin.staff"))

    return answer_form(reset, _staff_again(user))


@bp.post("/admin/staff/<int:user_id>/token")
@admins_only
def create_token(user_id: int) -> Page:
    user = _user_or_404(user_id)

    def create() -> Page:
        if user.disabled:
            raise Invalid(t("adm_err_token_disabled"))
        label = request.form.get("label", "").strip() or "API"
        if len(label) > LABEL_MAX or has_control(label):
            raise Invalid(t("adm_err_label").format(limit=LABEL_MAX))
        token = context().accounts.new_token(user, label)
        _audit(AuditEvent.TOKEN_CREATED, user.username, label)
        # Shown this once: never stored in clear, never cached.
        response = Response(_staff(new_token=(user, label, token)), mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response

    return answer_form(create, _staff_again(user))


@bp.post("/admin/staff/tokens/<int:number>/revoke")
@admins_only
def revoke_token(number: int) -> Page:
    token = found_or_404(context().accounts.revoke_token(number))
    _audit(AuditEvent.TOKEN_REVOKED, token.username, f"#{number} {token.label}")
    message = t("adm_token_revoked").format(number=number, username=token.username)
    return done(message, url_for("admin.staff"))


@bp.get("/admin/audit")
@managers_only
def audit() -> str:
    ctx = context()
    entries = ctx.accounts.audit.newest()
    return render_template("admin_audit.html", entries=entries, tz=ctx.site.site.timezone)


def _audit(event: AuditEvent, username: str, detail: str = "") -> None:
    """An entry in the audit log, naming the administrator who did it."""
    me = current_user()
    by = f"{t('adm_by')} {me.username}" if me else ""
    text = f"{detail} ({by})" if detail and by else detail or by
    context().accounts.audit.record(event, username, request.remote_addr or "?", text)


def _staff(
    error: str = "",
    draft: dict[str, Any] | None = None,
    new_token: tuple[User, str, str] | None = None,
) -> str:
    ctx = context()
    return render_template(
        "admin_staff.html",
        users=ctx.accounts.all(),
        tokens=ctx.accounts.tokens(),
        roles=list(Role),
        error=error,
        draft=draft or {},
        new_token=new_token,
        min_password=MIN_PASSWORD_LENGTH,
        counter_numbers=", ".join(str(c.number) for c in ctx.site.counters),
        me=current_user(),
    )


def _staff_again(user: User) -> Callable[[str], str]:
    """The staff page again after a form of `user`'s was refused: every account's forms
    are on that one page, so the refusal names whose it was."""
    return lambda error: _staff(error=f"{user.username}: {error}")


def _user_or_404(user_id: int) -> User:
    return found_or_404(context().accounts.get(user_id))


def parse_counters(text: str, site: Site, role: Role) -> list[int]:
    """Counter numbers from "1, 2" (commas or spaces), each a counter of the site."""
    numbers: list[int] = []
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        if not part.isdigit() or len(part) > 6:
            raise Invalid(t("adm_err_counters_format").format(part=part[:20]))
        number = int(part)
        if number not in site.counters_by_number:
            raise Invalid(t("adm_err_counter_unknown").format(number=number))
        if number not in numbers:
            numbers.append(number)
    if role is Role.CLERK and not numbers:
        raise Invalid(t("adm_err_clerk_counters"))
    return sorted(numbers)


def _username(raw: str) -> str:
    username = raw.strip().lower()
    if not username:
        raise Invalid(t("adm_err_username_missing"))
    if len(username) > USERNAME_MAX or not USERNAME.match(username):
        raise Invalid(t("adm_err_username").format(limit=USERNAME_MAX))
    return username


def _name(raw: str, username: str) -> str:
    name = raw.strip()
    if len(name) > NAME_MAX or has_control(name):
        raise Invalid(t("adm_err_name").format(limit=NAME_MAX))
    return name or username


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise Invalid(t("adm_err_role")) from None


def _password(password: str, again: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(t("adm_err_password_short").format(limit=MIN_PASSWORD_LENGTH))
    if password != again:
        raise Invalid(t("adm_err_password_mismatch"))
    return password
