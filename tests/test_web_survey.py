"""The survey on the web: the citizen's nine-element form behind the QR code, and the IKM
report managers hand to the agencies."""

import csv
import datetime as dt
import io
import re
from contextlib import closing

import pytest
from flask.testing import FlaskClient

from broker.ikm import ELEMENTS, ikm, quick_score
from broker.requests import RequestHandler
from broker.survey import (
    ALREADY_RATED,
    COUNTED,
    NO_TICKET,
    PressRecord,
    Response,
    SurveyStore,
)
from broker.web.context import WebContext
from contract.messages import Answer, IssueTicket, decode, encode
from tests.conftest import MONDAY, at
from tests.test_web_reports import Tables
from tests.web_fixtures import Login

TUESDAY = MONDAY + dt.timedelta(days=1)
ALL_GOOD = {element.code: "4" for element in ELEMENTS}
# The worked example of tests/test_ikm.py: four respondents, IKM 80.56 (B).
#   U1 3.25  U2 3.00  U3 2.75  U4 4.00  U5 3.50  U6 3.25  U7 3.75  U8 2.50  U9 3.00
WORKED = [
    (4, 3, 3, 4, 4, 4, 4, 3, 3),
    (3, 3, 3, 4, 4, 3, 4, 3, 3),
    (3, 3, 3, 4, 3, 3, 4, 2, 3),
    (3, 3, 2, 4, 3, 3, 3, 2, 3),
]


def issue(web_ctx: WebContext, request_id: str, service: str = "A") -> tuple[str, str]:
    """A ticket issued as a kiosk does: (its id, its page's path from the QR code)."""
    handler = RequestHandler(web_ctx.queue, web_ctx.links)
    reply = handler.kiosk("kiosk-1", encode(IssueTicket(id=request_id, service=service)))
    assert reply.answer is not None
    ticket = decode(encode(reply.answer), Answer).ticket
    assert ticket is not None
    return ticket.id, "/t/" + ticket.url.rsplit("/", 1)[1]


def served(web_ctx: WebContext, counter: int = 1, service: str = "A") -> tuple[str, str]:
    """A ticket issued, called by `counter` and finished: (its id, its page's path)."""
    ticket_id, path = issue(web_ctx, f"req-{service}-{counter}", service)
    web_ctx.queue.run(lambda engine, now: engine.call_next(counter, now), at(9, 5))
    web_ctx.queue.run(lambda engine, now: engine.finish(counter, now), at(9, 10))
    return ticket_id, path


def csrf(client: FlaskClient, path: str) -> str:
    """The session's CSRF token, as the form (or any page with a form) hands it out."""
    client.get(path + "/survei")
    client.get("/login")
    with client.session_transaction() as session:
        token = session.get("csrf")
    assert isinstance(token, str)
    return token


def stored(web_ctx: WebContext, ticket_id: str) -> Response | None:
    with closing(SurveyStore(web_ctx.database)) as store:
        return store.response(ticket_id)


# -- the citizen's form -------------------------------------------------------------------


def test_the_ticket_page_offers_the_survey_once_finished(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    # GIVEN a waiting ticket's page
    _, path = issue(web_ctx, "r-1")
    waiting = client.get(path).get_data(as_text=True)
    # WHEN it is called and finished
    web_ctx.queue.run(lambda engine, now: engine.call_next(1, now), at(9, 5))
    web_ctx.queue.run(lambda engine, now: engine.finish(1, now), at(9, 10))
    done = client.get(path).get_data(as_text=True)
    # THEN the survey link was hidden while waiting and shows once finished
    assert '<p id="survey" hidden>' in waiting
    assert '<p id="survey" >' in done
    assert f'href="{path}/survei"' in done
    assert "Isi survei kepuasan" in done


def test_the_form_is_refused_before_the_ticket_is_finished(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    # GIVEN a ticket being served at counter 1
    ticket_id, path = issue(web_ctx, "r-1")
    web_ctx.queue.run(lambda engine, now: engine.call_next(1, now), at(9, 5))
    # WHEN its citizen opens the survey and posts it anyway
    page = client.get(path + "/survei")
    posted = client.post(path + "/survei", data={**ALL_GOOD, "csrf_token": csrf(client, path)})
    # THEN both are refused, saying when it opens, and nothing is kept
    assert page.status_code == 409
    assert "setelah layanan Anda selesai" in page.get_data(as_text=True)
    assert 'name="U1"' not in page.get_data(as_text=True)
    assert posted.status_code == 409
    assert stored(web_ctx, ticket_id) is None


def test_a_finished_ticket_shows_the_nine_elements_in_bahasa_indonesia(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    _, path = served(web_ctx)
    page = client.get(path + "/survei")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Survei Kepuasan Masyarakat" in text
    for element in ELEMENTS:
        assert text.count(f'name="{element.code}"') == 4, element.code
        assert element.name in text
    for word in ("Tidak baik", "Kurang baik", "Baik", "Sangat baik"):
        assert word in text
    assert 'name="csrf_token"' in text


def test_a_response_is_kept_with_its_ticket(client: FlaskClient, web_ctx: WebContext) -> None:
    # GIVEN a ticket finished at counter 2
    ticket_id, path = served(web_ctx, counter=2)
    ratings = {element.code: str(n % 4 + 1) for n, element in enumerate(ELEMENTS)}
    # WHEN its citizen answers the nine elements
    response = client.post(path + "/survei", data={**ratings, "csrf_token": csrf(client, path)})
    # THEN they are thanked and the response is kept with the ticket's service and counter
    assert response.status_code == 200
    assert "Terima kasih" in response.get_data(as_text=True)
    kept = stored(web_ctx, ticket_id)
    assert kept is not None
    assert kept.ratings == (1, 2, 3, 4, 1, 2, 3, 4, 1)
    assert (kept.day, kept.service, kept.agency, kept.counter) == (
        MONDAY,
        "A",
        "kantor-imigrasi",
        2,
    )


def test_a_second_response_for_the_ticket_is_refused(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    # GIVEN a finished ticket whose survey was answered "sangat baik" throughout
    ticket_id, path = served(web_ctx)
    token = csrf(client, path)
    assert client.post(path + "/survei", data={**ALL_GOOD, "csrf_token": token}).status_code == 200
    # WHEN someone posts it again, all "tidak baik", and opens it again
    again = client.post(
        path + "/survei", data={**dict.fromkeys(ALL_GOOD, "1"), "csrf_token": token}
    )
    page = client.get(path + "/survei")
    # THEN the second is refused with a clear message, and the first stands
    assert again.status_code == 409
    assert "sudah diisi" in again.get_data(as_text=True)
    assert "sudah diisi" in page.get_data(as_text=True)
    assert 'name="U1"' not in page.get_data(as_text=True)
    kept = stored(web_ctx, ticket_id)
    assert kept is not None
    assert kept.ratings == (4,) * 9


def test_the_form_needs_the_sessions_csrf_token(client: FlaskClient, web_ctx: WebContext) -> None:
    ticket_id, path = served(web_ctx)
    csrf(client, path)
    forged = client.post(path + "/survei", data={**ALL_GOOD, "csrf_token": "forged"})
    missing = client.post(path + "/survei", data=ALL_GOOD)
    assert (forged.status_code, missing.status_code) == (400, 400)
    assert stored(web_ctx, ticket_id) is None


@pytest.mark.parametrize(
    "broken",
    [{"U9": ""}, {"U9": "5"}, {"U9": "0"}, {"U9": "x"}],
    ids=["missing", "five", "zero", "letter"],
)
def test_an_incomplete_form_is_refused_and_keeps_the_answers(
    client: FlaskClient, web_ctx: WebContext, broken: dict[str, str]
) -> None:
    ticket_id, path = served(web_ctx)
    data = {**ALL_GOOD, "U2": "2", **broken, "csrf_token": csrf(client, path)}
    response = client.post(path + "/survei", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Pilih satu jawaban untuk setiap unsur" in text
    assert re.search(r'name="U2" value="2" required\s+checked', text)
    assert 'class="element missing" id="element-U9"' in text
    assert stored(web_ctx, ticket_id) is None


def test_an_unknown_token_leads_nowhere(client: FlaskClient, web_ctx: WebContext) -> None:
    served(web_ctx)
    assert client.get("/t/aaaaaaaaaaaaaaaaaaaaaaaa/survei").status_code == 404


def test_yesterdays_finished_ticket_can_still_be_rated(
    client: FlaskClient, web_ctx: WebContext
) -> None:
    # GIVEN Monday's finished ticket, and the queue now on Tuesday
    ticket_id, path = served(web_ctx)
    web_ctx.queue.run(lambda engine, now: engine.roll_over(now), at(7, day=TUESDAY))
    # WHEN its citizen answers the survey on Tuesday
    response = client.post(path + "/survei", data={**ALL_GOOD, "csrf_token": csrf(client, path)})
    # THEN it is taken, for Monday's ticket
    assert response.status_code == 200
    kept = stored(web_ctx, ticket_id)
    assert kept is not None
    assert kept.day == MONDAY


def test_the_form_speaks_english_when_asked(client: FlaskClient, web_ctx: WebContext) -> None:
    _, path = served(web_ctx)
    with client.session_transaction() as session:
        session["lang"] = "en"
    text = client.get(path + "/survei").get_data(as_text=True)
    assert "Citizen satisfaction survey" in text
    assert "Staff competence" in text


# -- the IKM report ------------------------------------------------------------------------


@pytest.fixture
def surveyed(web_ctx: WebContext) -> WebContext:
    """Monday: the worked example's four responses for service A (counters 1, 1, 2, 2) and
    one all-4 response for B (counter 3); button presses 4, 4, 3, 2 counted for A at
    counter 1, one press without a ticket and one second press."""
    with closing(SurveyStore(web_ctx.database)) as store:
        for n, ratings in enumerate(WORKED):
            store.add_response(
                Response(
                    f"2026-11-30/A{n:03d}",
                    MONDAY,
                    at(10),
                    "A",
                    "kantor-imigrasi",
                    1 + n // 2,
                    ratings,
                )
            )
        store.add_response(
            Response("2026-11-30/B001", MONDAY, at(10), "B", "satlantas-polresta", 3, (4,) * 9)
        )
        # Tuesday's response is outside the range the tests ask for.
        store.add_response(
            Response(
                "2026-12-01/A001", TUESDAY, at(10, day=TUESDAY), "A", "kantor-imigrasi", 1, (1,) * 9
            )
        )
        for n, rating in enumerate((4, 4, 3, 2)):
            store.add_press(_press(f"p-{n}", rating, COUNTED, f"2026-11-30/A{n:03d}"))
        store.add_press(_press("p-8", 1, NO_TICKET, None))
        store.add_press(_press("p-9", 1, ALREADY_RATED, "2026-11-30/A000"))
    return web_ctx


def _press(press_id: str, rating: int, mark: str, ticket: str | None) -> PressRecord:
    tied = ticket is not None
    return PressRecord(
        unit="survey-1",
        press_id=press_id,
        at=at(10),
        day=MONDAY,
        rating=rating,
        mark=mark,  # type: ignore[arg-type]
        ticket_id=ticket,
        counter=1 if tied else None,
        service="A" if tied else None,
        agency="kantor-imigrasi" if tied else None,
    )


def _monday(path: str) -> str:
    return f"{path}?start=2026-11-30&end=2026-11-30"


def _comma(value: object) -> str:
    return str(value).replace(".", ",")


def test_the_ikm_report_shows_what_the_formula_gives(
    client: FlaskClient, login: Login, surveyed: WebContext
) -> None:
    # GIVEN Monday's responses WHEN a manager opens the IKM report for Monday
    login("manajer")
    page = client.get(_monday("/reports/ikm"))
    text = page.get_data(as_text=True)
    tables = Tables(text).tables
    # THEN each row is broker.ikm on that row's responses, Tuesday's left out
    assert page.status_code == 200
    a_result, b_result = ikm(WORKED), ikm([(4,) * 9])
    everyone = ikm([*WORKED, (4,) * 9])
    assert a_result is not None
    assert b_result is not None
    assert everyone is not None
    services = {row[0]: row for row in tables["ikm-services"][1:]}
    assert list(services) == ["A", "B"]
    a_row = services["A"]
    assert a_row[:3] == ["A", "Paspor (permohonan baru dan penggantian)", "4"]
    assert a_row[3:12] == ["3,25", "3,00", "2,75", "4,00", "3,50", "3,25", "3,75", "2,50", "3,00"]
    assert a_row[12:] == ["3,222", _comma(a_result.score), "B", "Baik"]
    assert services["B"][12:] == ["4,000", "100,00", "A", "Sangat baik"]
    agencies = {row[0]: row for row in tables["ikm-agencies"][1:]}
    assert agencies["kantor-imigrasi"][1:3] == ["Kantor Imigrasi", "4"]
    counters = {row[0]: row for row in tables["ikm-counters"][1:]}
    assert [counters[key][2] for key in ("1", "2", "3")] == ["2", "2", "1"]
    counter_1 = ikm(WORKED[:2])
    assert counter_1 is not None
    assert counters["1"][13] == _comma(counter_1.score)
    # AND the summary is the IKM of everyone, 25 x the mean of the element means
    assert f"<dd>{_comma(everyone.score)}</dd>" in text
    assert float(everyone.score) == pytest.approx(
        float(25 * sum(everyone.element_means) / 9), abs=0.005
    )
    assert '<svg class="chart" id="chart-ikm"' in text


def test_the_quick_score_is_in_tables_of_its_own(
    client: FlaskClient, login: Login, surveyed: WebContext
) -> None:
    login("manajer")
    text = client.get(_monday("/reports/ikm")).get_data(as_text=True)
    tables = Tables(text).tables
    score = quick_score([4, 4, 3, 2])
    (row,) = tables["quick-services"][1:]
    # Presses, then sangat puas, puas, kurang puas, tidak puas, the mean and the share satisfied.
    assert row == ["A", "Paspor (permohonan baru dan penggantian)", "4", "2", "1", "1", "0",
                   "3,25", _comma(score.satisfied_percent)]  # fmt: skip
    assert "75,0" in row
    assert "Skor cepat per layanan" in text
    assert "bukan IKM" in text
    summary = text[text.index('id="quick-summary"') :]
    assert re.search(r"tanpa tiket[^<]*</dt><dd>1</dd>", summary)
    assert re.search(r"Tekanan kedua[^<]*</dt><dd>1</dd>", summary)


def test_the_agency_csv_has_one_row_per_unit_then_all(
    client: FlaskClient, login: Login, surveyed: WebContext
) -> None:
    login("manajer")
    response = client.get(_monday("/reports/ikm/services.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "antre-ikm-services-2026-11-30-2026-11-30.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "Unit layanan", "Nama", "U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9",
        "IKM", "Mutu pelayanan", "Kinerja unit pelayanan", "Responden",
    ]  # fmt: skip
    everyone = ikm([*WORKED, (4,) * 9])
    assert everyone is not None
    assert rows[1] == ["A", "Paspor (permohonan baru dan penggantian)",
                       "3.25", "3.00", "2.75", "4.00", "3.50", "3.25", "3.75", "2.50", "3.00",
                       "80.56", "B", "Baik", "4"]  # fmt: skip
    assert rows[2][0] == "B"
    assert rows[2][-4:] == ["100.00", "A", "Sangat baik", "1"]
    assert rows[3][:2] == ["", "Seluruh unit layanan"]
    assert rows[3][-4:] == [str(everyone.score), everyone.grade.letter, "Baik", "5"]
    assert len(rows) == 4


def test_the_quick_csv_and_the_counter_csv(
    client: FlaskClient, login: Login, surveyed: WebContext
) -> None:
    login("manajer")
    quick = client.get(_monday("/reports/ikm/quick-counters.csv")).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(quick)))
    assert rows[0][2:] == ["Penilaian", "Sangat puas", "Puas", "Kurang puas", "Tidak puas",
                           "Rata-rata", "Puas (%)"]  # fmt: skip
    assert rows[1] == ["1", "Loket 1", "4", "2", "1", "1", "0", "3.25", "75.0"]
    counters = client.get(_monday("/reports/ikm/counters.csv")).get_data(as_text=True)
    assert [row[0] for row in csv.reader(io.StringIO(counters))] == [
        "Unit layanan",
        "1",
        "2",
        "3",
        "",
    ]


def test_an_empty_range_says_so(client: FlaskClient, login: Login, web_ctx: WebContext) -> None:
    login("admin")
    text = client.get(_monday("/reports/ikm")).get_data(as_text=True)
    assert 'id="ikm-empty"' in text
    assert 'id="ikm-services"' not in text


def test_only_managers_see_the_ikm_report(
    client: FlaskClient, login: Login, surveyed: WebContext
) -> None:
    assert client.get("/reports/ikm").status_code == 302
    login("siti")
    assert client.get("/reports/ikm").status_code == 403
    assert client.get("/reports/ikm/services.csv").status_code == 403


def test_the_reports_page_links_to_the_ikm_report(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    login("manajer")
    text = client.get(_monday("/reports/")).get_data(as_text=True)
    assert 'href="/reports/ikm?start=2026-11-30&amp;end=2026-11-30"' in text


def test_a_reversed_range_is_refused(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    login("manajer")
    response = client.get("/reports/ikm?start=2026-12-01&end=2026-11-30")
    assert response.status_code == 400
    assert client.get("/reports/ikm/services.csv?start=x").status_code == 400
