"""The web console in a real browser (Debian's Chromium, driven by Playwright), against
the real central with its web server, a real Mosquitto and a kiosk over MQTT."""

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from broker.web.admin_cli import main as admin_main
from tests.broker_fixtures import Mosquitto, Provisioned, free_port
from tests.central_fixtures import CentralProcess, Kiosk, wait_for_state

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "kata-sandi-kuat-1"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# As the probe of this machine found: no sandbox as root, and no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed (make installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def web(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The central with its web console; a clerk (siti, counter 1) and a manager exist."""
    database = tmp_path / "antre.sqlite3"
    for username, role, counters in (("siti", "clerk", "1"), ("kepala", "manager", "")):
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        arguments = ["--db", str(database), "create-user", username, "--role", role]
        assert admin_main([*arguments, "--counters", counters, "--password-stdin"]) == 0
    port = free_port()
    central = CentralProcess(provisioned, database, web_port=port)
    central.start()
    try:
        wait_for_state(provisioned, lambda state: True)
        yield f"http://127.0.0.1:{port}"
    finally:
        central.kill()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def save(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("ANTRE_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, SCREENSHOTS / name)
    return path


def test_a_clerk_calls_a_kiosk_ticket_and_everyone_sees_it(
    browser: Browser, web: str, provisioned: Provisioned, tmp_path: Path
) -> None:
    # GIVEN a citizen took a passport ticket at kiosk 1 and opened its QR page
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        answer = kiosk.ask("e2e-1", "A")
    finally:
        kiosk.close()
    assert answer.ticket is not None
    citizen = browser.new_page()
    citizen.goto(web + "/t/" + answer.ticket.url.rsplit("/", 1)[1])
    expect(citizen.locator(".number")).to_have_text("A001")
    # WHEN clerk siti logs in and calls the next ticket at counter 1
    clerk = browser.new_page()
    log_in(clerk, web, "siti")
    clerk.goto(f"{web}/counter/1")
    clerk.keyboard.press("n")
    # THEN her console shows A001 being served (live, without a reload)
    expect(clerk.locator("body")).to_contain_text("A001", timeout=10_000)
    save(clerk, tmp_path, "console.png")
    # AND the citizen's page says where to go, live
    expect(citizen.locator("#headline")).to_contain_text("Loket 1", timeout=10_000)
    # AND the displays' retained state shows counter 1 serving A001
    state = wait_for_state(provisioned, lambda s: s.counters[0].serving == "A001")
    assert state.recent[0].number == "A001"


def test_a_clerk_cannot_open_the_admin_pages(browser: Browser, web: str) -> None:
    page = browser.new_page()
    log_in(page, web, "siti")
    response = page.goto(f"{web}/admin/")
    assert response is not None
    assert response.status == 403


def test_a_post_without_the_csrf_token_is_refused(browser: Browser, web: str) -> None:
    page = browser.new_page()
    log_in(page, web, "siti")
    page.goto(f"{web}/counter/1")
    status = page.evaluate(
        """async () => (await fetch('/counter/1/call_next', {method: 'POST',
               headers: {'Accept': 'application/json'}})).status"""
    )
    assert status == 400


def test_a_manager_reads_the_report(
    browser: Browser, web: str, provisioned: Provisioned, tmp_path: Path
) -> None:
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        for n, service in enumerate("AABCD"):
            assert kiosk.ask(f"report-{n}", service).ok
    finally:
        kiosk.close()
    page = browser.new_page()
    log_in(page, web, "kepala")
    page.goto(f"{web}/reports/")
    expect(page.locator("svg").first).to_be_visible()
    shot = save(page, tmp_path, "report.png")
    assert shot.stat().st_size > 10_000
