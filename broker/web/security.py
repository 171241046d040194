"""Who may do what: sessions, roles, CSRF tokens and a brake on password guessing."""

import functools
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from broker.web.accounts import Role, User

P = ParamSpec("P")
R = TypeVar("R")

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token, made on first use; every form and fetch sends it back."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    """True when a state-changing request carries the session's token."""
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    # As bytes: compare_digest refuses str with non-ASCII characters (a forged token may have).
    return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def login_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, Any]]:
    """Only a logged-in user (of one of `roles`, when given) may open the page."""

    def decorate(view: Callable[P, R]) -> Callable[P, Any]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


class LoginThrottle:
    """At most `attempts` failed logins per `window` seconds per address and name."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str, username: str) -> bool:
        with self._lock:
            return len(self._recent((address, username.lower()))) >= self.attempts

    def failed(self, address: str, username: str) -> None:
        with self._lock:
            self._recent((address, username.lower())).append(time.monotonic())

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._failures.pop((address, username.lower()), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and time.monotonic() - times[0] > self.window:
            times.popleft()
        return times


def throttle() -> LoginThrottle:
    found: LoginThrottle = current_app.extensions["antre.throttle"]
    return found
