"""Logging in, roles, CSRF and the brake on password guessing."""

import pytest
from flask.testing import FlaskClient

from broker.web.accounts import AccountError, Accounts, Role
from broker.web.context import WebContext
from tests.web_fixtures import PASSWORD, Login


def test_a_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_with_the_right_password_and_not_with_a_wrong_one(
    client: FlaskClient, login: Login
) -> None:
    token = login.csrf()
    wrong = client.post(
        "/login", data={"username": "siti", "password": "x" * 12, "csrf_token": token}
    )
    assert wrong.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in wrong.get_data(as_text=True)
    login("siti")
    with client.session_transaction() as session:
        assert isinstance(session.get("user_id"), int)


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "siti", "password": PASSWORD})
    assert response.status_code == 400


def test_password_guessing_is_stopped_after_five_tries(client: FlaskClient, login: Login) -> None:
    token = login.csrf()
    for _ in range(5):
        client.post(
            "/login", data={"username": "admin", "password": "tebak-tebakan", "csrf_token": token}
        )
    blocked = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in blocked.get_data(as_text=True)


def test_the_session_cookie_is_httponly_and_samesite(client: FlaskClient, login: Login) -> None:
    token = login.csrf()
    response = client.post(
        "/login", data={"username": "siti", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_language_switches_to_english(client: FlaskClient, login: Login) -> None:
    token = login.csrf()
    client.post("/language", data={"lang": "en", "csrf_token": token, "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_a_redirect_after_login_stays_on_this_site(client: FlaskClient, login: Login) -> None:
    token = login.csrf()
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": "siti", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed_and_short_ones_refused(web_ctx: WebContext) -> None:
    accounts: Accounts = web_ctx.accounts
    row = accounts._db.execute("SELECT password_hash FROM users WHERE username = 'siti'").fetchone()
    assert row[0].startswith("scrypt:")
    assert PASSWORD not in row[0]
    with pytest.raises(AccountError, match="at least"):
        accounts.create("baru", "Baru", Role.CLERK, "pendek")


def test_a_disabled_user_cannot_log_in(web_ctx: WebContext) -> None:
    user = web_ctx.accounts.by_username("budi")
    assert user is not None
    web_ctx.accounts.update(user.id, name="Budi", role=Role.CLERK, counters=[3], disabled=True)
    assert web_ctx.accounts.authenticate("budi", PASSWORD) is None
    assert web_ctx.accounts.authenticate("siti", PASSWORD) is not None


def test_api_tokens_are_stored_hashed(web_ctx: WebContext) -> None:
    user = web_ctx.accounts.by_username("admin")
    assert user is not None
    token = web_ctx.accounts.new_token(user, "LED board")
    assert web_ctx.accounts.user_for_token(token) == user
    assert web_ctx.accounts.user_for_token(token + "x") is None
    stored = web_ctx.accounts._db.execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert token not in stored
