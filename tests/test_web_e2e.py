"""The web console in a real browser (Debian's Chromium, driven by Playwright), against
the real central with its web server, a real Mosquitto and a kiosk over MQTT."""

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from broker.web.admin_cli import main as admin_main
from tests.broker_fixtures import Mosquitto, Provisioned, free_port
from tests.browser_fixtures import SCREENSHOTS
from tests.central_fixtures import CentralProcess, Kiosk, wait_for_state

PASSWORD = "kata-sandi-kuat-1"


@pytest.fixture
def web(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The central with its web console; a clerk (siti, counters 1 and 12) and a manager."""
    database = tmp_path / "antre.sqlite3"
    for username, role, counters in (("siti", "clerk", "1,12"), ("kepala", "manager", "")):
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


def log_out_elsewhere(browser: Browser, base: str, username: str) -> None:
    """The user logs in on another device (a phone) and logs out there, which ends every
    session of theirs."""
    phone = browser.new_context()
    try:
        page = phone.new_page()
        log_in(page, base, username)
        page.get_by_role("button", name="Keluar").click()
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        phone.close()


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
    expect(clerk.locator("form.action-finish button")).to_be_enabled()  # the double-tap guard
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


@pytest.fixture
def counter_pc(browser: Browser, web: str) -> Iterator[Page]:
    """A browser of its own (a counter PC), siti logged in on it."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, web, "siti")
    yield page
    context.close()


def test_a_console_left_open_goes_to_the_login_page_when_the_session_ends(
    browser: Browser, web: str, counter_pc: Page
) -> None:
    # GIVEN siti's console open on the counter PC, live
    console = counter_pc
    with console.expect_response(re.compile(r"/counter/1/events")) as stream:
        console.goto(f"{web}/counter/1")
    assert stream.value.status == 200
    # WHEN she logs in on her phone and logs out there (ending every session of hers)
    log_out_elsewhere(browser, web, "siti")
    # THEN the counter PC's console leaves for the login page by itself, to come back after
    expect(console).to_have_url(re.compile(r"/login\?next=.*counter"), timeout=10_000)


def test_a_console_refused_its_stream_goes_to_the_login_page_once_the_session_ends(
    browser: Browser, web: str, counter_pc: Page
) -> None:
    # GIVEN siti's console, its live stream refused for now (a server restarting, say)
    console = counter_pc
    console.route("**/counter/1/events", lambda route: route.fulfill(status=503))
    console.goto(f"{web}/counter/1")
    expect(console.locator("#offline")).to_be_visible()
    # WHEN her session ends elsewhere while it keeps trying
    log_out_elsewhere(browser, web, "siti")
    # THEN at its next try it finds out, and goes to the login page
    expect(console).to_have_url(re.compile(r"/login\?next=.*counter"), timeout=15_000)


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


# -- the console at the sizes clerks have, the ticket page on a phone ---------------------

# The screens clerks' PCs and laptops have (the issue's 1366x768 and 1024x768).
CLERK_SCREENS = ((1366, 768), (1024, 768))
# What ticket.js vibrates: three or fewer ahead, and called.
NEAR_PATTERN = [200, 100, 200]
CALLED_PATTERN = [400, 150, 400, 150, 400]


def issue(provisioned: Provisioned, services: str) -> list[str]:
    """Tickets taken at kiosk 1, one per letter of `services`; their page paths."""
    kiosk = Kiosk(provisioned, "kiosk-1")
    try:
        answers = [kiosk.ask(f"size-{n}", service) for n, service in enumerate(services)]
    finally:
        kiosk.close()
    paths = []
    for answer in answers:
        assert answer.ticket is not None
        paths.append("/t/" + answer.ticket.url.rsplit("/", 1)[1])
    return paths


def act(clerk: Page, base: str, counter: int, action: str) -> None:
    """A clerk's action posted as the console's script posts it (without its pause)."""
    csrf = clerk.locator('meta[name="csrf-token"]').get_attribute("content")
    response = clerk.request.post(
        f"{base}/counter/{counter}/{action}",
        form={"csrf_token": csrf or ""},
        headers={"Accept": "application/json"},
    )
    assert response.ok, response.text()
    assert response.json()["ok"], response.text()


def on_screen(page: Page, target: Locator) -> bool:
    """The element's whole box lies inside the viewport, as the page stands (no scroll)."""
    box = target.bounding_box()
    size = page.viewport_size
    assert size is not None
    scrolled = page.evaluate("[window.scrollX, window.scrollY]")
    return (
        box is not None
        and scrolled == [0, 0]
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def style(target: Locator, prop: str) -> str:
    return str(target.evaluate(f"(e) => getComputedStyle(e).{prop}"))


def px(value: str) -> float:
    return float(value.removesuffix("px"))


def rgb(value: str) -> tuple[int, ...]:
    """'rgb(27, 127, 59)' as numbers."""
    return tuple(int(part) for part in value[value.index("(") + 1 : -1].split(",")[:3])


def test_the_console_fits_the_clerks_screens(
    browser: Browser, web: str, provisioned: Provisioned, tmp_path: Path
) -> None:
    # GIVEN counter 12 (KTP and family cards) with seven tickets waiting
    issue(provisioned, "HHHHIII")
    clerk = browser.new_page(viewport={"width": 1366, "height": 768})
    log_in(clerk, web, "siti")
    clerk.goto(f"{web}/counter/12")
    serving = clerk.locator("#serving-number")
    finish = clerk.locator("form.action-finish button")
    # THEN with nobody served, "Belum ada" is words in ordinary type, not the giant number
    expect(serving).to_have_text("Belum ada")
    idle_size = px(style(serving, "fontSize"))
    assert idle_size <= 1.8 * px(style(clerk.locator("body"), "fontSize"))
    # AND a disabled "Selesai" is grey, not a pale green
    expect(finish).to_be_disabled()
    disabled = rgb(style(finish, "backgroundColor"))
    assert max(disabled) - min(disabled) < 24, f"{disabled} is not grey"
    assert style(finish, "opacity") == "1"  # no see-through green
    # WHEN she skips two no-shows and serves the third ticket
    for action in ("call_next", "skip", "call_next", "skip", "call_next"):
        act(clerk, web, 12, action)
    skipped = clerk.locator("#skipped li")
    expect(skipped).to_have_count(2, timeout=10_000)
    expect(finish).to_be_enabled(timeout=10_000)
    # THEN the ticket is the giant number, and an enabled "Selesai" green again
    expect(serving).to_have_text(re.compile(r"^[HI]\d{3}$"))
    assert px(style(serving, "fontSize")) > 2 * idle_size
    enabled = rgb(style(finish, "backgroundColor"))
    assert enabled[1] > enabled[0] + 60, f"{enabled} is not green"
    # AND at each screen size every part she needs is on screen, without scrolling
    parts = {
        "waiting H": clerk.locator('[data-waiting="H"]'),
        "waiting I": clerk.locator('[data-waiting="I"]'),
        "skipped 1": skipped.nth(0),
        "skipped 2": skipped.nth(1),
        "transfer to": clerk.locator("#transfer-service"),
    }
    for action in ("call_next", "recall", "skip", "finish", "transfer", "pause"):
        parts[action] = clerk.locator(f"form.action-{action} button")
    expect(parts["pause"]).to_have_text(re.compile("Istirahat"))
    expect(parts["pause"]).to_be_disabled()  # not while serving: and it looks it
    assert rgb(style(parts["pause"], "backgroundColor")) == disabled
    for width, height in CLERK_SCREENS:
        clerk.set_viewport_size({"width": width, "height": height})
        for name, part in parts.items():
            assert on_screen(clerk, part), f"{name} is off the {width}x{height} screen"
        page_height = clerk.evaluate("document.documentElement.scrollHeight")
        assert page_height <= height, f"the console scrolls at {width}x{height}"
        save(clerk, tmp_path, f"console-{width}x{height}.png")


# Records what the page asks of the phone: vibrations, and the beeps it starts.
RECORD_ALERTS = """
window.vibrations = [];
Object.defineProperty(Navigator.prototype, "vibrate", {
  configurable: true,
  value: function (pattern) { window.vibrations.push(pattern); return true; },
});
window.beeps = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.beeps += 1;
  return start.apply(this, args);
};
"""


def test_the_citizen_is_alerted_and_told_where_to_go(
    browser: Browser, web: str, provisioned: Provisioned, tmp_path: Path
) -> None:
    # GIVEN a citizen holding the fifth passport ticket, its page open on a small phone
    path = issue(provisioned, "AAAAA")[-1]
    phone = browser.new_page(viewport={"width": 360, "height": 740})
    phone.add_init_script(RECORD_ALERTS)
    phone.goto(web + path)
    expect(phone.locator("#ahead")).to_have_text("4")
    # AND she allowed the alerts (the touch a phone's browser asks for): a short try
    phone.locator("#alerts").click()
    expect(phone.locator("#alerts")).to_be_disabled()
    phone.wait_for_function("() => window.vibrations.length === 1 && window.beeps === 1")
    clerk = browser.new_page()
    log_in(clerk, web, "siti")
    clerk.goto(f"{web}/counter/1")
    # WHEN counter 1 calls the first ticket: three are ahead of her
    act(clerk, web, 1, "call_next")
    expect(phone.locator("#ahead")).to_have_text("3", timeout=10_000)
    # THEN her phone beeps and vibrates, once
    phone.wait_for_function("() => window.vibrations.length === 2")
    assert phone.evaluate("window.vibrations[1]") == NEAR_PATTERN
    # WHEN the three before her are called: nobody ahead, the wait is "segera"
    for _ in range(3):
        act(clerk, web, 1, "call_next")
    expect(phone.locator("#ahead")).to_have_text("0", timeout=10_000)
    expect(phone.locator("#wait")).to_have_text("segera")
    # AND then her ticket
    act(clerk, web, 1, "call_next")
    headline = phone.locator("#headline")
    expect(headline).to_have_text("Silakan menuju Loket 1", timeout=10_000)
    # THEN the waiting rows are gone, and where to go is large and on the screen
    for row in ("#waiting", "#ahead", "#wait", "#alerts"):
        expect(phone.locator(row)).to_be_hidden()
    assert px(style(headline, "fontSize")) >= 40
    assert on_screen(phone, headline)
    # AND the phone alerted once more, the called way: a longer vibration, three beeps
    phone.wait_for_function("() => window.vibrations.length === 3")
    assert phone.evaluate("window.vibrations") == [[100], NEAR_PATTERN, CALLED_PATTERN]
    assert phone.evaluate("window.beeps") == 1 + 2 + 3
    save(phone, tmp_path, "ticket-called.png")
