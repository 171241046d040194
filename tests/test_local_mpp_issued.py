"""What `make run` tells of a kiosk's answer, and the run's copy of the site file."""

from pathlib import Path

from contract.messages import Answer, TicketInfo
from contract.site_loader import parse_site
from local_mpp.issued import issued_line
from local_mpp.mall import SITE_FILE, local_site_text


def ticket(state: str = "waiting", url: str = "http://127.0.0.1:8080/t/abc") -> TicketInfo:
    return TicketInfo(
        id="2026-11-30/A004",
        number="A004",
        service="A",
        service_name="Paspor",
        agency="Kantor Imigrasi",
        priority=False,
        state=state,
        issued_at="2026-11-30T09:00:00+08:00",
        ahead=2,
        wait_minutes=20,
        counters=[1, 2],
        counter=None,
        url=url,
    )


def test_an_issued_ticket_is_told_with_its_page() -> None:
    line = issued_line("kiosk-1", Answer(id="r1", ok=True, ticket=ticket()))
    assert line == "  kiosk-1: A004 issued, 2 ahead; its page: http://127.0.0.1:8080/t/abc"


def test_refusals_reserves_and_tickets_already_done_are_not_told() -> None:
    refused = Answer(id="r1", ok=False, reason="quota_reached", message="Kuota habis")
    reserved = Answer(id="r2", ok=True, reserved=[ticket(state="reserved")])
    finished = Answer(id="r3", ok=True, ticket=ticket(state="finished"))
    assert [issued_line("kiosk-1", a) for a in (refused, reserved, finished)] == [None] * 3


def test_the_runs_site_file_points_the_qr_codes_at_its_public_pages(tmp_path: Path) -> None:
    # GIVEN the example site, WHEN make run writes its copy for public pages on port 50789
    text = local_site_text(SITE_FILE.read_text(encoding="utf-8"), 50789)
    # THEN that copy is still a valid site, the same but for its tickets' address
    site = parse_site(text, "site.toml")
    assert site.site.ticket_url_base == "http://127.0.0.1:50789/t/"
    assert text.count("\n") == SITE_FILE.read_text(encoding="utf-8").count("\n")
