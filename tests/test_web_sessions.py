"""Sessions that can be ended, API tokens that can be revoked, an audit log, and a login
brake that holds a bot back in bounded memory (issue 12, items 9 and 11)."""

from collections.abc import Iterator

from flask import Flask
from flask.testing import FlaskClient

from broker.web.context import WebContext
from broker.web.live import ENDED_EVENT
from broker.web.security import LoginThrottle
from tests.web_fixtures import PASSWORD, USERS, Login


def copied_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def opens_the_console(app: Flask, cookie: str) -> bool:
    """Does a browser holding only `cookie` get the counter console?"""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/counter/1").status_code == 200


def test_logout_ends_every_session_copied_cookies_included(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    # GIVEN siti logged in on two browsers, and someone copied her cookie
    login("siti")
    copied = copied_cookie(client)
    second = app.test_client()
    Login(second)("siti")
    assert opens_the_console(app, copied)
    # WHEN she logs out on the first
    client.post("/logout", data={"csrf_token": login.csrf()})
    # THEN the copied cookie and her other browser open nothing
    assert not opens_the_console(app, copied)
    assert second.get("/counter/1").status_code == 302
    # AND she can log in again
    login("siti")
    assert client.get("/counter/1").status_code == 200


def test_a_password_reset_ends_the_old_sessions(
    app: Flask, client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN budi is logged in somewhere
    budi = app.test_client()
    Login(budi)("budi")
    assert budi.get("/counter/3").status_code == 200
    # WHEN the administrator resets his password
    login("admin")
    user = web_ctx.accounts.by_username("budi")
    assert user is not None
    new = "kata-sandi-baru-456"
    response = client.post(
        f"/admin/staff/{user.id}/password",
        data={"password": new, "password2": new, "csrf_token": login.csrf()},
    )
    assert response.status_code == 302
    # THEN his old session is over, and only the new password opens a new one
    assert budi.get("/counter/3").status_code == 302
    Login(budi)("budi", new)
    assert budi.get("/counter/3").status_code == 200


def stream_of(client: FlaskClient, number: int) -> Iterator[str]:
    """The console's event stream, opened as its script opens it, one event at a time."""
    response = client.get(f"/counter/{number}/events", buffered=False)
    assert response.status_code == 200
    for chunk in response.response:
        yield chunk.decode() if isinstance(chunk, bytes) else str(chunk)


def test_a_console_left_open_stops_updating_once_its_session_ends(
    app: Flask, client: FlaskClient, login: Login
) -> None:
    # GIVEN siti's console open on a counter PC, its live stream running
    counter_pc = app.test_client()
    Login(counter_pc)("siti")
    stream = stream_of(counter_pc, 1)
    assert next(stream).startswith("data: ")
    # WHEN she logs out on another browser
    login("siti")
    client.post("/logout", data={"csrf_token": login.csrf()})
    # THEN the open stream says it is over, sends nothing more, and ends
    assert next(stream) == ENDED_EVENT
    assert next(stream, None) is None


def test_a_console_stream_ends_when_the_counter_is_taken_away_or_the_password_reset(
    app: Flask, client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN siti's consoles of counters 1 and 2 open
    counter_pc = app.test_client()
    Login(counter_pc)("siti")
    first, second = stream_of(counter_pc, 1), stream_of(counter_pc, 2)
    assert next(first).startswith("data: ")
    assert next(second).startswith("data: ")
    siti = web_ctx.accounts.by_username("siti")
    assert siti is not None
    # WHEN the administrator leaves her only counter 2
    login("admin")
    form = {"name": "Siti", "role": "clerk", "counters": "2", "csrf_token": login.csrf()}
    assert client.post(f"/admin/staff/{siti.id}", data=form).status_code == 302
    # THEN counter 1's stream ends, and counter 2's goes on
    assert next(first) == ENDED_EVENT
    assert next(second).startswith("data: ")
    # AND WHEN her password is reset, counter 2's ends too
    new = "kata-sandi-baru-789"
    form = {"password": new, "password2": new, "csrf_token": login.csrf()}
    assert client.post(f"/admin/staff/{siti.id}/password", data=form).status_code == 302
    assert next(second) == ENDED_EVENT


def test_api_tokens_are_listed_and_revoked_one_by_one(
    app: Flask, client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    user = web_ctx.accounts.by_username("manajer")
    assert user is not None
    kept = web_ctx.accounts.new_token(user, "portal")
    gone = web_ctx.accounts.new_token(user, "papan LED")
    api = app.test_client()

    def works(token: str) -> bool:
        headers = {"Authorization": f"Bearer {token}"}
        return api.get("/api/v1/state", headers=headers).status_code == 200

    assert works(kept)
    assert works(gone)
    # WHEN the administrator revokes the LED board's token from the staff page
    login("admin")
    page = client.get("/admin/staff").get_data(as_text=True)
    assert "portal" in page
    assert "papan LED" in page
    number = next(t.number for t in web_ctx.accounts.tokens() if t.label == "papan LED")
    response = client.post(
        f"/admin/staff/tokens/{number}/revoke", data={"csrf_token": login.csrf()}
    )
    assert response.status_code == 302
    # THEN that one stops working, the other does not, and the page says so
    assert not works(gone)
    assert works(kept)
    assert "Dicabut" in client.get("/admin/staff").get_data(as_text=True)
    # AND the list shows when a token was last used, never the token itself
    page = client.get("/admin/staff").get_data(as_text=True)
    assert kept not in page
    listed = {t.label: t for t in web_ctx.accounts.tokens()}
    assert listed["portal"].last_used is not None


def test_managers_read_who_logged_in_and_who_failed(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN a failed login with a forged line in the name, and a good one
    client.post(
        "/login",
        data={"username": "siti\nALERT", "password": "salah-sekali", "csrf_token": login.csrf()},
    )
    login("siti")
    client.post("/logout", data={"csrf_token": login.csrf()})
    # WHEN the manager opens the audit log
    login("manajer")
    page = client.get("/admin/audit")
    # THEN each is there, newest first, and the name cannot make a line of its own
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("Keluar") < text.index("Gagal masuk")
    assert "siti\\nALERT" in text
    events = [entry.event.value for entry in web_ctx.accounts.audit.newest()]
    assert events[:4] == ["login", "logout", "login", "login_failed"]


def test_a_clerk_cannot_read_the_audit_log(client: FlaskClient, login: Login) -> None:
    login("siti")
    assert client.get("/admin/audit").status_code == 403


def test_one_address_trying_many_names_is_held_back(client: FlaskClient, login: Login) -> None:
    token = login.csrf()
    # GIVEN a bot tries twenty made-up names once each, from one address
    for n in range(20):
        client.post("/login", data={"username": f"bot{n}", "password": "x", "csrf_token": token})
    # THEN even a right name and password from that address waits
    held = client.post(
        "/login", data={"username": "siti", "password": PASSWORD, "csrf_token": token}
    )
    assert held.status_code == 429


def test_the_login_brake_keeps_its_memory_bounded() -> None:
    now = [0.0]
    throttle = LoginThrottle(5, 300.0, per_address=20, max_keys=100, clock=lambda: now[0])
    # a flood of made-up names from many addresses
    for n in range(10_000):
        throttle.failed(f"10.0.{n // 250}.{n % 250}", f"name{n}")
    assert len(throttle) <= 100
    # checking names that never failed adds nothing
    for n in range(1_000):
        assert not throttle.blocked("192.168.1.9", f"other{n}")
    assert len(throttle) <= 100
    # and failures age out of the window
    for _ in range(5):
        throttle.failed("192.168.1.7", "siti")
    assert throttle.blocked("192.168.1.7", "siti")
    now[0] += 301
    assert not throttle.blocked("192.168.1.7", "siti")


def test_a_family_on_one_address_is_not_held_back_by_a_few_mistakes(
    client: FlaskClient, login: Login
) -> None:
    token = login.csrf()
    for username in list(USERS)[:3]:
        client.post("/login", data={"username": username, "password": "x", "csrf_token": token})
    login("siti")
