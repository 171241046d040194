"""The virtual kiosk page of `make run`: its buttons press as the terminal does."""

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from contract.messages import TicketInfo
from contract.site import Printer
from contract.site_loader import load_site
from kiosk.printer import TicketPrinter
from local_mpp.virtual_kiosk import VirtualKiosk
from tests.broker_fixtures import wait_until
from tests.conftest import EXAMPLE_SITE
from tests.make_run_harness import MakeRun

SITE = load_site(EXAMPLE_SITE)
TOKEN = re.compile(r'name="token" value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    """POSTs a form without following the redirect: the status and where it leads."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, urllib.parse.urlencode(fields).encode(), method="POST")
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Location", "")
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers.get("Location", "")


def ticket(number: str, *, priority: bool = False) -> TicketInfo:
    return TicketInfo(
        id=f"2026-11-30/{number}",
        number=number,
        service=number[0],
        service_name="Layanan",
        agency="Instansi",
        priority=priority,
        state="waiting",
        issued_at="2026-11-30T09:12:00+08:00",
        ahead=0,
        wait_minutes=0,
        counters=[1],
    )


def print_to(
    path: Path, width_mm: Literal[58, 80], tickets: list[TicketInfo], offline: bool = False
) -> None:
    """Prints as `make run`'s kiosks do: the ESC/POS bytes to a file."""
    printer = TicketPrinter(Printer(type="file", path=str(path), width_mm=width_mm), SITE)
    try:
        for info in tickets:
            printer.print_ticket(info, offline=offline)
    finally:
        printer.close()


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text: str = answer.read().decode()
        return text


@pytest.fixture
def virtual(tmp_path: Path) -> Iterator[tuple[VirtualKiosk, list[str], list[int]]]:
    presses: list[str] = []
    ratings: list[int] = []
    kiosk = VirtualKiosk(SITE, presses.append, ratings.append, tmp_path)
    kiosk.start()
    try:
        yield kiosk, presses, ratings
    finally:
        kiosk.stop()


def test_the_page_shows_every_kiosk_button_the_survey_and_the_last_tickets(
    virtual: tuple[VirtualKiosk, list[str], list[int]], tmp_path: Path
) -> None:
    # GIVEN kiosk-1 printed A004 and a priority A005 to its file, kiosk-2 an offline M001
    # on 58 mm paper (its QR code a raster image)
    kiosk, _, _ = virtual
    print_to(tmp_path / "kiosk-1.bin", 80, [ticket("A004"), ticket("A005", priority=True)])
    print_to(tmp_path / "kiosk-2.bin", 58, [ticket("M001")], offline=True)
    # WHEN the page is opened
    page = get(kiosk.url)
    # THEN it has each kiosk's buttons, the toggle, the survey and the tickets, newest first
    assert kiosk.url.startswith("http://127.0.0.1:")
    assert "Kiosk 1 (pintu masuk)" in page
    assert "Kiosk 2 (ruang tunggu)" in page
    assert page.count('name="service"') == 24
    assert "<b>A</b> Paspor (permohonan baru dan penggantian)" in page
    assert "Prioritas" in page
    for words in ("Sangat puas", "Puas", "Kurang puas", "Tidak puas"):
        assert f">{words}</button>" in page
    assert "A005 prioritas · A004" in page
    assert json.loads(get(kiosk.url + "tickets")) == {
        "kiosk-1": ["A005 prioritas", "A004"],
        "kiosk-2": ["M001"],
    }


def test_no_printout_yet_is_no_ticket(
    virtual: tuple[VirtualKiosk, list[str], list[int]],
) -> None:
    kiosk, _, _ = virtual
    assert json.loads(get(kiosk.url + "tickets")) == {"kiosk-1": [], "kiosk-2": []}
    assert "belum ada" in get(kiosk.url)


def test_a_press_with_the_token_presses_and_one_without_is_refused(
    virtual: tuple[VirtualKiosk, list[str], list[int]],
) -> None:
    # GIVEN the page's token
    kiosk, presses, ratings = virtual
    match = TOKEN.search(get(kiosk.url))
    assert match
    token = match.group(1)
    # WHEN A, priority M and "sangat puas" are pressed, then presses without or with a
    # wrong token, and one of a button no kiosk has
    answers = [
        post(kiosk.url + "press", {"token": token, "service": "A"}),
        post(kiosk.url + "press", {"token": token, "service": "M", "priority": "1"}),
        post(kiosk.url + "survey", {"token": token, "rating": "4"}),
        post(kiosk.url + "press", {"service": "A"}),
        post(kiosk.url + "press", {"token": "guess", "service": "A"}),
        post(kiosk.url + "survey", {"token": "guess", "rating": "1"}),
        post(kiosk.url + "press", {"token": token, "service": "Z"}),
    ]
    # THEN the first three pressed, as the terminal's "A", "*M" and "+4" do, and led back
    assert answers[:3] == [(303, "/?pressed=A"), (303, "/?pressed=*M"), (303, "/?survey=4")]
    assert [status for status, _ in answers[3:]] == [403, 403, 403, 400]
    assert presses == ["A", "*M"]
    assert ratings == [4]
    assert "Tombol prioritas M ditekan" in get(kiosk.url + "?pressed=*M")


def test_a_request_naming_another_host_is_refused(
    virtual: tuple[VirtualKiosk, list[str], list[int]],
) -> None:
    # GIVEN a page of another site whose name now points at this machine (DNS rebinding)
    kiosk, presses, _ = virtual
    request = urllib.request.Request(kiosk.url, headers={"Host": f"evil.example:{kiosk.port}"})
    # WHEN it reads the page, THEN it is refused, token and all
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 403
    assert presses == []


def test_make_run_prints_a_ticket_pressed_on_the_virtual_kiosk(tmp_path: Path) -> None:
    with MakeRun(tmp_path) as run:
        # GIVEN `python -m local_mpp` (make run) and the virtual kiosk it greets with
        url = run.start().virtual_kiosk
        # WHEN a citizen presses A on the page (and someone else's page tries without the
        # token), then counter 1 calls
        match = TOKEN.search(get(url))
        assert match, run.output
        refused = post(url + "press", {"service": "A"})
        pressed = post(url + "press", {"token": match.group(1), "service": "A"})

        def printed() -> list[str]:
            tickets: list[str] = json.loads(get(url + "tickets"))["kiosk-1"]
            return tickets

        wait_until(lambda: bool(printed()), 20, "kiosk-1 printing the ticket")
        (ticket,) = printed()
        run.send("c1")
        exit_code = run.stop()
    # THEN kiosk-1 printed a ticket, as for its button, and counter 1 called it
    assert refused[0] == 403
    assert pressed == (303, "/?pressed=A")
    assert "kiosk-1: button A pressed" in run.output
    assert re.fullmatch(r"A\d{3}", ticket)
    assert f"loket 1: ok {ticket}" in run.output
    assert exit_code == 0
