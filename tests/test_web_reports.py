"""Reports: the numbers of a small simulated day, on the page, in the charts and the CSVs."""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from broker.engine.engine import Decision, QueueEngine
from broker.web.context import WebContext
from broker.web.report_queries import clerk_of, percentile, report
from tests.conftest import MONDAY, WITA, at
from tests.web_fixtures import Login

STATIC = Path(__file__).resolve().parent.parent / "broker" / "web" / "static"
TUESDAY = MONDAY + dt.timedelta(days=1)
PASPOR = "Paspor (permohonan baru dan penggantian)"
Step = Callable[[QueueEngine, dt.datetime], Decision]

STAT_HEADER = [
    "issued",
    "called",
    "served",
    "no_shows",
    "wait_mean_min",
    "wait_9_in_10_at_most_min",
    "service_mean_min",
    "service_9_in_10_at_most_min",
]


def issue(service: str, *, priority: bool = False, actor: str = "kiosk-1") -> Step:
    return lambda engine, now: engine.issue(service, now, priority=priority, actor=actor)


def call(counter: int, actor: str) -> Step:
    return lambda engine, now: engine.call_next(counter, now, actor=actor)


def finish(counter: int, actor: str) -> Step:
    return lambda engine, now: engine.finish(counter, now, actor=actor)


def skip(counter: int, actor: str) -> Step:
    return lambda engine, now: engine.skip(counter, now, actor=actor)


def bring_back(ticket_id: str, actor: str) -> Step:
    return lambda engine, now: engine.bring_back(ticket_id, now, actor=actor)


def cancel(ticket_id: str, actor: str = "kiosk-1") -> Step:
    return lambda engine, now: engine.cancel(ticket_id, now, actor=actor, why="printer")


def play(ctx: WebContext, steps: list[tuple[dt.datetime, Step]]) -> list[Decision]:
    return [ctx.queue.run(step, now) for now, step in steps]


@pytest.fixture
def monday(web_ctx: WebContext) -> WebContext:
    """A small Monday at the example site (counters 1 and 2 serve A, counter 3 serves B).

    A: A001 09:00, A002 09:05, A003 (priority) 09:10, A004 10:30 cancelled at 10:31.
    Counter 1 (siti over MQTT) calls A003 at 09:20 (wait 10), finishes at 09:26
    (service 6), calls A001 at 09:30 (wait 30) and skips it at 09:31. Counter 2 (siti
    on the web) calls A002 at 09:40 (wait 35) and finishes at 09:52 (service 12).
    B: B001 10:15, B002 10:20 (never called). Counter 3 (budi on the web) calls B001
    at 10:26 (wait 11) and finishes at 10:34 (service 8).
    """
    decisions = play(
        web_ctx,
        [
            (at(9, 0), issue("A")),
            (at(9, 5), issue("A")),
            (at(9, 10), issue("A", priority=True)),
            (at(9, 20), call(1, "counter-1:siti")),
            (at(9, 26), finish(1, "counter-1:siti")),
            (at(9, 30), call(1, "counter-1:siti")),
            (at(9, 31), skip(1, "counter-1:siti")),
            (at(9, 40), call(2, "web:siti@counter-2")),
            (at(9, 52), finish(2, "web:siti@counter-2")),
            (at(10, 15), issue("B")),
            (at(10, 20), issue("B")),
            (at(10, 26), call(3, "web:budi@counter-3")),
            (at(10, 30), issue("A")),
            (at(10, 31), cancel("2026-11-30/A004")),
            (at(10, 34), finish(3, "web:budi@counter-3")),
        ],
    )
    called = [d.ticket.number for d in decisions if d.ticket and d.ticket.state == "called"]
    # The priority ticket went first, as the interleave says.
    assert called == ["A003", "A001", "A002", "B001"]
    return web_ctx


class Tables(HTMLParser):
    """The cells of every <table id=...> of a page, row by row, and its SVG charts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._table is not None and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def body(self, table: str) -> list[list[str]]:
        """The rows below the header."""
        return self.tables[f"table-{table}"][1:]


def svg(html: str, chart_id: str) -> str:
    found = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.DOTALL)
    assert found, f"no chart {chart_id}"
    return found.group(0)


def download(client: FlaskClient, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8"))))


def test_the_page_shows_the_day_per_service_counter_clerk_day_and_hour(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN the small Monday and a manager
    login("manajer")
    # WHEN the manager opens the reports (no dates: the queue's day)
    response = client.get("/reports/")
    # THEN every table holds the day's exact numbers (minutes with a decimal comma)
    assert response.status_code == 200
    page = Tables(response.get_data(as_text=True))
    assert page.body("services") == [
        ["A", PASPOR, "3", "3", "2", "1", "25,0", "35,0", "9,0", "12,0"],
        ["B", "Perpanjangan SIM", "2", "1", "1", "0", "11,0", "11,0", "8,0", "8,0"],
    ]
    assert page.body("counters") == [
        ["1", "Loket 1", "2", "2", "1", "1", "20,0", "30,0", "6,0", "6,0"],
        ["2", "Loket 2", "1", "1", "1", "0", "35,0", "35,0", "12,0", "12,0"],
        ["3", "Loket 3", "1", "1", "1", "0", "11,0", "11,0", "8,0", "8,0"],
        ["—", "", "1", "0", "0", "0", "—", "—", "—", "—"],
    ]
    # siti's MQTT and web actions are one clerk, named as her account is (the fixtures
    # name each account after its username); B002 was never called: nobody's
    assert page.body("clerks") == [
        ["Budi", "budi", "1", "1", "1", "0", "11,0", "11,0", "8,0", "8,0"],
        ["Siti", "siti", "3", "3", "2", "1", "25,0", "35,0", "9,0", "12,0"],
        ["—", "", "1", "0", "0", "0", "—", "—", "—", "—"],
    ]
    # Waits 10, 30, 35, 11: mean 21.5, p90 35; service 6, 12, 8: mean 8.67, p90 12
    assert page.body("days") == [
        ["2026-11-30", "5", "4", "3", "1", "21,5", "35,0", "8,7", "12,0"],
    ]
    # The cancelled A004 (10:30) is no arrival
    assert page.body("hours") == [["09:00", "3"], ["10:00", "2"]]


def test_the_charts_are_svg_with_one_bar_per_busy_hour_and_per_service(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN the small Monday, arrivals at 09 and 10 only
    login("admin")
    # WHEN an admin opens the reports for the whole week
    html = client.get("/reports/?start=2026-11-30&end=2026-12-06").get_data(as_text=True)
    # THEN the arrivals chart has two bars, 3 at 09 and 2 at 10
    arrivals = svg(html, "chart-arrivals")
    assert arrivals.count('class="bar"') == 2
    assert "09:00-10:00: 3" in arrivals
    assert "10:00-11:00: 2" in arrivals
    # AND the waiting chart has a bar for each service with called tickets
    waits = svg(html, "chart-wait")
    assert waits.count('class="bar"') == 2
    assert f"{PASPOR}: 25,0" in waits
    # AND nothing on the page needs an inline style or script
    assert "style=" not in html
    assert "<script" not in html


def test_the_csv_downloads_hold_the_same_numbers(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN the small Monday and a manager
    login("manajer")
    # WHEN the services, clerks and hours tables are downloaded
    services = download(client, "/reports/services.csv?start=2026-11-30&end=2026-11-30")
    clerks = download(client, "/reports/clerks.csv?start=2026-11-30&end=2026-11-30")
    hours = download(client, "/reports/hours.csv?start=2026-11-30&end=2026-11-30")
    # THEN each parses with csv.reader, a header first, minutes with a decimal point
    assert services == [
        ["service", "name", *STAT_HEADER],
        ["A", PASPOR, "3", "3", "2", "1", "25.0", "35.0", "9.0", "12.0"],
        ["B", "Perpanjangan SIM", "2", "1", "1", "0", "11.0", "11.0", "8.0", "8.0"],
    ]
    assert clerks[0] == ["name", "clerk", *STAT_HEADER]
    assert ["Siti", "siti", "3", "3", "2", "1", "25.0", "35.0", "9.0", "12.0"] in clerks
    assert ["—", "", "1", "0", "0", "0", "", "", "", ""] in clerks
    assert hours == [["hour", "arrivals"], ["09:00", "3"], ["10:00", "2"]]


def test_the_page_links_a_csv_for_each_table(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN a manager
    login("manajer")
    # WHEN the reports for a range are opened
    html = client.get("/reports/?start=2026-11-23&end=2026-11-30").get_data(as_text=True)
    # THEN each table links its CSV for the same range, and the counters CSV downloads
    for table in ("services", "counters", "clerks", "days", "hours"):
        assert f"/reports/{table}.csv?start=2026-11-23&amp;end=2026-11-30" in html
    counters = download(client, "/reports/counters.csv?start=2026-11-23&end=2026-11-30")
    assert counters[0] == ["counter", "name", *STAT_HEADER]
    assert counters[1] == ["1", "Loket 1", "2", "2", "1", "1", "20.0", "30.0", "6.0", "6.0"]


def test_a_day_without_tickets_says_so(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN the small Monday
    login("manajer")
    # WHEN the Sunday before is asked for
    html = client.get("/reports/?start=2026-11-29&end=2026-11-29").get_data(as_text=True)
    # THEN there is nothing to chart and the page says there were no tickets
    assert "Tidak ada tiket pada rentang ini." in html
    assert 'id="chart-arrivals"' not in html


def test_the_report_speaks_english_on_request(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN a manager who switched to English
    login("manajer")
    client.post("/language", data={"lang": "en", "csrf_token": login.csrf(), "next": "/"})
    # WHEN the reports are opened
    page = Tables(client.get("/reports/").get_data(as_text=True))
    # THEN the headers are English and minutes have a decimal point
    assert page.tables["table-services"][0][:5] == ["Service", "Name", "Issued", "Called", "Served"]
    assert page.body("days")[0][5:] == ["21.5", "35.0", "8.7", "12.0"]


def visible_text(html: str) -> str:
    """What a reader sees of a page: its text without tags, attributes, scripts or styles."""
    without_code = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", without_code)).split())


def test_the_9_in_10_wait_is_said_in_words_with_an_explanation(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN the small Monday and a manager (Bahasa Indonesia)
    login("manajer")
    # WHEN the manager opens the reports
    html = client.get("/reports/").get_data(as_text=True)
    # THEN no "P90" is left: the columns and the summary say it in words
    assert "P90" not in visible_text(html).upper()
    page = Tables(html)
    headers = page.tables["table-services"][0]
    assert headers[7] == "9 dari 10 warga menunggu paling lama (menit)"
    assert headers[9] == "9 dari 10 warga dilayani paling lama (menit)"
    assert "9 dari 10 warga menunggu paling lama (menit) 35,0" in visible_text(html)
    # AND a line under the tables says how to read it
    note = re.search(r'<p class="muted" id="report-wait-note">(.*?)</p>', html, re.S)
    assert note is not None
    assert "dari setiap 10 warga yang dipanggil, 9 menunggu 20 menit atau kurang" in note[1]


def test_the_9_in_10_wait_is_said_in_english_too(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN a manager who switched to English
    login("manajer")
    client.post("/language", data={"lang": "en", "csrf_token": login.csrf(), "next": "/"})
    # WHEN the reports are opened
    html = client.get("/reports/").get_data(as_text=True)
    # THEN the columns and the explanation are English words, no "P90"
    assert "P90" not in visible_text(html).upper()
    headers = Tables(html).tables["table-days"][0]
    assert headers[6:] == [
        "9 in 10 waited at most (min)",
        "Mean service (min)",
        "9 in 10 were served in at most (min)",
    ]
    assert "of every 10 citizens called, 9 waited 20 minutes or less" in html


def test_the_clerk_report_shows_names_with_the_username_beside(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN siti and budi with their full names, and B002 called at counter 3 by rudi, a
    # username no account has
    accounts = monday.accounts
    for username, name in (("siti", "Siti Rahmawati"), ("budi", "Budi Santoso")):
        user = accounts.by_username(username)
        assert user is not None
        accounts.update(
            user.id, name=name, role=user.role, counters=list(user.counters), disabled=False
        )
    play(monday, [(at(10, 40), call(3, "counter-3:rudi"))])
    login("manajer")
    # WHEN the manager opens the reports and downloads the clerks
    page = Tables(client.get("/reports/").get_data(as_text=True))
    clerks = download(client, "/reports/clerks.csv?start=2026-11-30&end=2026-11-30")
    # THEN each clerk is shown by name, in the order of names, the username second
    assert page.tables["table-clerks"][0][:2] == ["Petugas", "Nama pengguna"]
    assert [row[:3] for row in page.body("clerks")] == [
        ["Budi Santoso", "budi", "1"],
        ["rudi", "rudi", "1"],
        ["Siti Rahmawati", "siti", "3"],
    ]
    # AND the CSV holds the same names
    assert clerks[0][:2] == ["name", "clerk"]
    assert [row[:2] for row in clerks[1:]] == [
        ["Budi Santoso", "budi"],
        ["rudi", "rudi"],
        ["Siti Rahmawati", "siti"],
    ]


def test_counter_names_and_dates_stay_on_one_line(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN the small Monday and a manager
    login("manajer")
    # WHEN the reports are opened
    html = client.get("/reports/").get_data(as_text=True)
    # THEN "Loket 1", its number and the day are cells that do not wrap
    assert '<td class="nowrap">1</td><td class="nowrap">Loket 1</td>' in html
    assert '<td class="nowrap">2026-11-30</td>' in html
    # AND a service's long name may wrap
    assert f"<td>{PASPOR}</td>" in html
    # AND the style sheet keeps such cells on one line
    css = (STATIC / "antre.css").read_text(encoding="utf-8")
    assert re.search(r"table\.report \.nowrap \{ white-space: nowrap; \}", css)


def test_a_clerk_may_not_see_the_reports(
    monday: WebContext, client: FlaskClient, login: Login
) -> None:
    # GIVEN a clerk
    login("siti")
    # WHEN she opens the reports or a CSV
    page = client.get("/reports/")
    table = client.get("/reports/clerks.csv")
    # THEN both are forbidden
    assert page.status_code == 403
    assert table.status_code == 403
    assert "siti" not in table.get_data(as_text=True)


def test_nobody_logged_in_is_sent_to_the_login(client: FlaskClient) -> None:
    response = client.get("/reports/days.csv")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-12-01&end=2026-11-30", "Tanggal awal tidak boleh sesudah tanggal akhir."),
        ("start=30-11-2026&end=2026-11-30", "Tanggal tidak valid."),
        ("start=2026-02-30", "Tanggal tidak valid."),
        ("start=2025-11-29&end=2026-11-30", "Rentang laporan paling lama 366 hari."),
    ],
)
def test_a_bad_date_range_gets_a_clear_message(
    client: FlaskClient, login: Login, query: str, message: str
) -> None:
    # GIVEN a manager
    login("manajer")
    # WHEN the dates make no range (reversed, unreadable, or over 366 days)
    page = client.get(f"/reports/?{query}")
    table = client.get(f"/reports/days.csv?{query}")
    # THEN the page and the CSV say why, with no report and no server error
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert 'id="table-days"' not in page.get_data(as_text=True)
    assert table.status_code == 400
    assert message in table.get_data(as_text=True)


def test_366_days_are_allowed(client: FlaskClient, login: Login) -> None:
    login("manajer")
    assert client.get("/reports/?start=2025-11-30&end=2026-11-30").status_code == 200


def test_a_skip_brought_back_is_no_no_show_and_the_next_day_closes_the_other(
    web_ctx: WebContext,
) -> None:
    # GIVEN a Monday with two skips at counter 1 (no clerk named): A002 is brought back
    # and served, A001 is not; then a ticket on Tuesday closes the Monday
    play(
        web_ctx,
        [
            (at(9, 0), issue("A")),
            (at(9, 2), issue("A")),
            (at(9, 10), call(1, "counter-1")),
            (at(9, 11), skip(1, "counter-1")),
            (at(9, 12), call(1, "counter-1")),
            (at(9, 13), skip(1, "counter-1")),
            (at(9, 20), bring_back("2026-11-30/A002", "counter-1")),
            (at(9, 25), call(1, "counter-1")),
            (at(9, 30), finish(1, "counter-1")),
            (at(9, 0, TUESDAY), issue("A", actor="web:manajer")),
        ],
    )
    # WHEN both days are reported
    both = report(web_ctx.database, MONDAY, TUESDAY, WITA)
    # THEN Monday has one no-show (A001, now no_show), and A002 waited from 09:02 to its
    # last call at 09:25; Tuesday's ticket is waiting
    monday, tuesday = both.days
    assert (monday.key, monday.issued, monday.called, monday.served) == ("2026-11-30", 2, 2, 1)
    assert monday.no_shows == 1
    assert (monday.wait_mean, monday.wait_p90) == (16.5, 23.0)
    assert (tuesday.key, tuesday.issued, tuesday.called, tuesday.no_shows) == (
        "2026-12-01",
        1,
        0,
        0,
    )
    # AND the counter is known but the clerk is not
    assert [(s.key, s.called) for s in both.counters] == [("1", 2), ("—", 0)]
    assert [(s.key, s.issued) for s in both.clerks] == [("—", 3)]
    assert both.hours == [(9, 3)]


def test_the_clerk_is_the_name_in_the_actor() -> None:
    assert clerk_of("counter-5:siti") == "siti"
    assert clerk_of("web:siti@counter-5") == "siti"
    assert clerk_of("counter-5") == "—"
    assert clerk_of("kiosk-1") == "—"
    assert clerk_of("central") == "—"


def test_the_90th_percentile_is_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([float(n) for n in range(1, 11)], 90) == 9.0
    assert percentile([float(n) for n in range(11, 0, -1)], 90) == 10.0
