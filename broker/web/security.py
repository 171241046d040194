"""Who may do what: sessions, roles, CSRF tokens and a brake on password guessing."""

import functools
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
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
    """A brake on password guessing, in bounded memory.

    At most `attempts` failed logins per `window` seconds for one name from one address,
    and `per_address` for all names from one address (a bot trying many names; a family
    sharing a Wi-Fi address is far below it). The table keeps at most `max_keys` entries:
    past that the oldest are forgotten, so a flood of made-up names cannot grow it.
    """

    def __init__(
        self,
        attempts: int = 5,
        window: float = 300.0,
        *,
        per_address: int = 20,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.window = window
        self.per_address = per_address
        self.max_keys = max_keys
        self._clock = clock
        # Keyed by (address, name) and by (address, ""), least recently failed first.
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, address: str, username: str) -> bool:
        with self._lock:
            by_name = self._count((address, username.lower()))
            by_address = self._count((address, ""))
            return by_name >= self.attempts or by_address >= self.per_address

    def failed(self, address: str, username: str) -> None:
        now = self._clock()
        with self._lock:
            for key in ((address, username.lower()), (address, "")):
                times = self._failures.setdefault(key, deque())
                self._prune(times)
                times.append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._failures.pop((address, username.lower()), None)

    def __len__(self) -> int:
        return len(self._failures)

    def _count(self, key: tuple[str, str]) -> int:
        """Recent failures under `key`; an entry with none left is dropped."""
        times = self._failures.get(key)
        if times is None:
            return 0
        self._prune(times)
        if not times:
            del self._failures[key]
        return len(times)

    def _prune(self, times: deque[float]) -> None:
        while times and self._clock() - times[0] > self.window:
            times.popleft()


def throttle() -> LoginThrottle:
    found: LoginThrottle = current_app.extensions["antre.throttle"]
    return found
