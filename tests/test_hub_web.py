"""The hub's pages over real HTTP on a real PostgreSQL, for both roles, and in Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import http.cookiejar
import io
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from contract.ikm import ikm
from hub.store.batches import BatchWriter
from hub.store.connect import connect
from hub.web import create_app
from hub.web.accounts import Role, create_account
from hub.web.admin_cli import main as admin_main
from tests.broker_fixtures import LOCALHOST, free_port, wait_until
from tests.hub_records import batch, called, devices, finished, issued, response, settings

PASSWORD = "kata-sandi-hub-1"
# 11:00 in Samarinda (WITA) on the records' day.
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
RATINGS = ([4, 4, 3, 4, 4, 3, 4, 4, 4], [3, 3, 3, 4, 3, 3, 3, 3, 2], [4] * 9)


@dataclass
class HubWeb:
    base: str


def seed(database: str) -> None:
    """Samarinda busy and heard from now; Balikpapan silent for two hours."""
    writer = BatchWriter()
    with connect(database) as connection:
        smd = [settings(1, "MPP Samarinda"), devices(2, {"kiosk-1": "online", "tv-1": "lost"})]
        smd += [issued(3 + i, f"A{i:03d}") for i in range(10)]
        # Called after 2, 4, ..., 20 minutes; three of them served.
        smd += [called(13 + i, f"A{i:03d}", 2 * (i + 1)) for i in range(10)]
        smd += [finished(23 + i, f"A{i:03d}") for i in range(3)]
        smd += [issued(26, "A100"), issued(27, "A101")]
        smd += [response(28 + i, list(r)) for i, r in enumerate(RATINGS)]
        writer.store(connection, batch("smd", *smd), NOW)
        writer.store(
            connection,
            batch("bpn", settings(1, "MPP Balikpapan"), issued(2, "B001", "B")),
            NOW - dt.timedelta(hours=2),
        )
        create_account(connection, "rina", "Rina", Role.REGION, PASSWORD, None)


@pytest.fixture
def hub_web(pg_database: str) -> Iterator[HubWeb]:
    seed(pg_database)
    app = create_app(pg_database, {"SECRET_KEY": "test-secret", "NOW": NOW})
    port = free_port()
    server = make_server(LOCALHOST, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HubWeb(f"http://{LOCALHOST}:{port}")
    finally:
        server.shutdown()
        thread.join()


class Browsing:
    """A visitor with cookies, over real HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base + path, data=data) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def csrf(self) -> str:
        _, page = self.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        return found[1]

    def log_in(self, username: str) -> None:
        fields = {"username": username, "password": PASSWORD, "csrf_token": self.csrf()}
        status, page = self.post("/login", fields)
        assert status == 200
        assert "Keluar" in page, f"{username} could not log in"


def test_the_region_page_tells_a_manager_each_site_at_a_glance(hub_web: HubWeb) -> None:
    # GIVEN the region's administrator logged in
    visitor = Browsing(hub_web.base)
    visitor.log_in("rina")
    # WHEN they open the region's page
    status, page = visitor.get("/region")
    assert status == 200
    # THEN Samarinda shows 2 waiting, 3 served, its waits in words, 1 counter, 1 device lost
    row = page.split('data-site="smd"')[1].split("</tr>")[0]
    assert '<td class="waiting">2</td>' in row
    assert '<td class="served">3</td>' in row
    assert "9 dari 10 warga menunggu paling lama 18 menit" in row
    assert "separuh warga menunggu paling lama 10 menit" in row
    assert '<td class="counters">1</td>' in row
    assert '<td class="lost">1</td>' in row
    # and Balikpapan, silent for two hours, says since when
    silent = page.split('data-site="bpn"')[1].split("</tr>")[0]
    assert "tidak ada kabar sejak 2026-12-07 01:00 UTC" in silent
    # WHEN they switch to English THEN the same page speaks English
    visitor.post("/language", {"lang": "en", "next": "/region", "csrf_token": visitor.csrf()})
    _, english = visitor.get("/region")
    assert "9 in 10 citizens waited at most 18 minutes" in english


def test_a_site_head_sees_only_their_site(
    hub_web: HubWeb, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN Samarinda's head, added with the command line
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    arguments = ["--database", pg_database, "add", "joko", "Joko", "site_head", "--site", "smd"]
    assert admin_main([*arguments, "--password-stdin"]) == 0
    visitor = Browsing(hub_web.base)
    visitor.log_in("joko")
    # WHEN they open their site THEN it shows today's service A
    status, page = visitor.get("/site/smd")
    assert status == 200
    assert "MPP Samarinda" in page
    today = page.split('id="today"')[1].split("</table>")[0]
    assert '<td class="served">3</td>' in today
    # WHEN they try another site, or the region THEN it is not theirs to see
    assert visitor.get("/site/bpn")[0] == 404
    _, region = visitor.get("/region")
    assert 'data-site="smd"' in region
    assert 'data-site="bpn"' not in region
    _, compared = visitor.get("/compare?from=2026-12-01&to=2026-12-07")
    assert 'data-site="bpn"' not in compared


def test_the_ikm_page_grades_as_the_regulation_and_downloads_as_csv(hub_web: HubWeb) -> None:
    visitor = Browsing(hub_web.base)
    visitor.log_in("rina")
    expected = ikm(RATINGS)
    assert expected is not None
    # WHEN the region's IKM per service is shown
    status, page = visitor.get("/ikm?from=2026-12-01&to=2026-12-07&per=service")
    assert status == 200
    # THEN it holds the score and grade contract.ikm gives for the same responses
    assert f'<td class="score">{expected.score}</td>' in page
    assert f'<td class="grade">{expected.grade.letter}</td>' in page
    # and the CSV has the same row
    status, text = visitor.get("/ikm.csv?from=2026-12-01&to=2026-12-07&per=agency")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["site", "agency", "service", "respondents"]
    assert rows[1][:4] == ["smd", "dukcapil", "", "3"]
    assert rows[1][-2:] == [str(expected.score), expected.grade.letter]


def test_compare_and_refusals(hub_web: HubWeb) -> None:
    visitor = Browsing(hub_web.base)
    # GIVEN nobody logged in THEN the pages send them to the login
    status, page = visitor.get("/region")
    assert "Masuk" in page
    # WHEN a form comes without its CSRF token THEN it is refused
    assert visitor.post("/login", {"username": "rina", "password": PASSWORD})[0] == 400
    visitor.log_in("rina")
    # WHEN sites are compared THEN both appear; a bad period is a clear 400
    _, page = visitor.get("/compare?from=2026-12-01&to=2026-12-07")
    assert 'data-site="smd"' in page
    assert 'data-site="bpn"' in page
    status, page = visitor.get("/compare?from=2026-12-07&to=2026-12-01")
    assert status == 400
    assert "Periode tidak sah" in page


def test_the_region_page_in_chromium(hub_web: HubWeb, browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{hub_web.base}/login")
        page.fill("input[name=username]", "rina")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        # THEN the region's table shows each site, and the silent one in its warning style
        expect(page.locator('tr[data-site="smd"] td.waiting')).to_have_text("2")
        silent = page.locator('tr[data-site="bpn"] .silent')
        expect(silent).to_contain_text("tidak ada kabar sejak")
        assert silent.evaluate("e => getComputedStyle(e).fontWeight") == "700"
    finally:
        page.close()


def test_antre_hub_web_serves_the_pages_with_uvicorn(pg_database: str, tmp_path: Path) -> None:
    # GIVEN antre-hub-web started as production starts it (uvicorn, a2wsgi)
    secret = tmp_path / "secret"
    secret.write_text("a secret of the hub's pages\n")
    port = free_port()
    command = [sys.executable, "-m", "hub.web.serve", "--database", pg_database]
    command += ["--secret-file", str(secret), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        visitor = Browsing(f"http://{LOCALHOST}:{port}")

        def answers() -> bool:
            try:
                return visitor.get("/login")[0] == 200
            except OSError:
                return False

        wait_until(answers, 20, "antre-hub-web")
        # THEN the login page is there, in Bahasa Indonesia, with its security headers
        with urllib.request.urlopen(f"http://{LOCALHOST}:{port}/login") as reply:
            assert "Masuk" in reply.read().decode()
            assert reply.headers["X-Frame-Options"] == "DENY"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_password_guessing_is_braked_across_processes(hub_web: HubWeb, pg_database: str) -> None:
    # GIVEN five wrong passwords for rina
    visitor = Browsing(hub_web.base)
    for _ in range(5):
        fields = {"username": "rina", "password": "salah", "csrf_token": visitor.csrf()}
        assert visitor.post("/login", fields)[0] == 200
    # WHEN the right one comes next, even through another process of the pages
    other = create_app(pg_database, {"SECRET_KEY": "test-secret", "NOW": NOW}).test_client()
    other.get("/login")
    with other.session_transaction() as session:
        token = session["csrf"]
    fields = {"username": "rina", "password": PASSWORD, "csrf_token": token}
    reply = other.post("/login", data=fields, environ_base={"REMOTE_ADDR": LOCALHOST})
    # THEN it is refused for now, in words
    assert reply.status_code == 429
    assert "Terlalu banyak percobaan" in reply.get_data(as_text=True)
