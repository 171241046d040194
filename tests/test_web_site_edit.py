"""Editing services and counters live: checked like the site file, saved, in effect at once."""

import html
import re
from pathlib import Path
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
import pytest
from flask.testing import FlaskClient

from broker.central import Central
from broker.engine.engine import Refused
from broker.queue_service import QueueService
from broker.requests import RequestHandler
from broker.site_overrides import SETTING, load_overrides, site_at_start
from broker.store.sqlite_store import SqliteStore
from broker.web.context import WebContext
from contract.clock import SimulatedClock
from contract.credentials import Credentials
from contract.messages import Answer, IssueTicket, QueueState, decode, encode
from contract.reasons import Reason
from contract.site import Site
from tests.broker_fixtures import Mosquitto, Provisioned
from tests.central_fixtures import CentralProcess, Kiosk, wait_for_state
from tests.conftest import at
from tests.web_fixtures import Login

# The example site: A (Paspor, quota 60) is served by counters 1 and 2, B by 3 and 4,
# D only by counter 7 (the seventh in the file); A and B keep the 08:00-14:00 schedule.
SERVICE_A = {
    "name": "Paspor (permohonan baru dan penggantian)",
    "name_en": "",
    "daily_quota": "60",
    "cutoff_minutes": "30",
    "expected_service_minutes": "10",
    "schedule": "buka-0800-1400",
}


def _row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>.*?</tr>', html, re.S)
    assert found is not None, f"no row {row_id}"
    return found.group(0)


def _post(client: FlaskClient, login: Login, path: str, data: dict[str, Any]) -> tuple[int, str]:
    """The status and the page as read (quotes unescaped)."""
    response = client.post(path, data={**data, "csrf_token": login.csrf()})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _issue(ctx: WebContext, request_id: str, service: str) -> Answer:
    """A ticket asked for the way a kiosk asks, through the queue."""
    reply = RequestHandler(ctx.queue).kiosk(
        "kiosk-1", encode(IssueTicket(id=request_id, service=service))
    )
    assert reply.answer is not None
    return reply.answer


def _nothing_changed(ctx: WebContext, site: Site) -> None:
    assert ctx.site is site
    assert ctx.queue.engine.site is site
    assert ctx.queue.setting(SETTING) is None


# -- services -------------------------------------------------------------------------


def test_a_lower_quota_refuses_the_third_ticket_at_once(
    client: FlaskClient, login: Login, web_ctx: WebContext, example_site: Site
) -> None:
    # GIVEN one ticket of A issued under the file's quota of 60
    assert _issue(web_ctx, "r1", "A").ok
    login("manajer")
    # WHEN the manager lowers A's quota to 2
    status, _ = _post(client, login, "/admin/services/A", {**SERVICE_A, "daily_quota": "2"})
    # THEN the second ticket is given and the third refused, quota_full, like a kiosk sees it
    assert status == 302
    assert _issue(web_ctx, "r2", "A").ok
    third = _issue(web_ctx, "r3", "A")
    assert (third.ok, third.reason) == (False, Reason.QUOTA_FULL.value)
    # AND only the quota is kept as an override; the file's site value is untouched
    saved = load_overrides(web_ctx.queue.setting(SETTING))
    assert list(saved.services) == ["A"]
    assert saved.services["A"].fields() == {"daily_quota": 2}
    assert not saved.counters
    assert example_site.services_by_prefix["A"].daily_quota == 60
    # AND the services page shows the new figures and that the quota differs from the file
    row = _row(client.get("/admin/services").get_data(as_text=True), "service-A")
    assert '<td class="issued">2 / 2</td>' in row
    assert "Diubah dari berkas: Kuota harian" in row
    assert "Kembalikan ke berkas" in row


def test_the_edit_page_shows_the_files_value_beside_the_live_one(
    client: FlaskClient, login: Login
) -> None:
    login("manajer")
    _post(client, login, "/admin/services/A", {**SERVICE_A, "name": "Paspor", "daily_quota": ""})
    page = client.get("/admin/services/A").get_data(as_text=True)
    assert 'name="name" value="Paspor"' in page
    assert 'name="daily_quota" value=""' in page
    assert "di berkas: Paspor (permohonan baru dan penggantian)" in page
    assert "di berkas: 60" in page
    assert "Hanya-baca di sini: kode layanan, instansi" in page
    assert "setelah kiosk dimulai ulang" in page


def test_a_field_the_form_did_not_send_is_left_as_it_is(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    login("manajer")
    _post(client, login, "/admin/services/A", {"daily_quota": "2"})
    _post(client, login, "/admin/services/A", {"name": "Paspor"})
    service = web_ctx.site.services_by_prefix["A"]
    assert (service.name, service.daily_quota, service.cutoff_minutes) == ("Paspor", 2, 30)


def test_a_new_name_reaches_the_queues_answers(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    login("manajer")
    _post(client, login, "/admin/services/A", {**SERVICE_A, "name": "Paspor baru"})
    ticket = _issue(web_ctx, "r1", "A").ticket
    assert ticket is not None
    assert ticket.service_name == "Paspor baru"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"daily_quota": "0"}, "services[0].daily_quota: paling kecil 1"),
        (
            {"daily_quota": "banyak"},
            'Kuota harian: tulis bilangan bulat, misalnya 30 (bukan "banyak")',
        ),
        ({"cutoff_minutes": "2000"}, "services[0].cutoff_minutes: paling besar 1440"),
        ({"expected_service_minutes": "0"}, "services[0].expected_service_minutes: harus lebih"),
        ({"expected_service_minutes": "nan"}, "tulis angka"),
        ({"name": " "}, "services[0].name: paling sedikit 1 karakter"),
        ({"name": "Paspor\nbaru"}, "satu baris"),
        ({"schedule": "buka-24-jam"}, "services[0].schedule: jadwal buka-24-jam tidak ada"),
    ],
)
def test_a_bad_service_value_is_refused_with_its_key_and_nothing_changes(
    client: FlaskClient,
    login: Login,
    web_ctx: WebContext,
    fields: dict[str, str],
    words: str,
) -> None:
    site = web_ctx.site
    login("manajer")
    status, page = _post(client, login, "/admin/services/A", {**SERVICE_A, **fields})
    assert status == 400
    assert words in page
    _nothing_changed(web_ctx, site)


def test_another_schedule_is_chosen_for_a_service(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    login("manajer")
    _post(client, login, "/admin/services/A", {**SERVICE_A, "schedule": "buka-0800-1500"})
    assert web_ctx.queue.engine.site.services_by_prefix["A"].schedule == "buka-0800-1500"
    row = _row(client.get("/admin/services").get_data(as_text=True), "service-A")
    assert "Sen-Kam</span> 08:00-12:00, 13:00-15:00" in row
    assert "Jadwal" in row


# -- opening hours --------------------------------------------------------------------


def test_shorter_hours_close_the_service_at_once(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN A open on this Monday at 09:00, its bookings turned off (its booking sessions
    # run to 12:00: hours that cut them are refused, see test_booking_admin.py)
    assert _issue(web_ctx, "r1", "A").ok
    login("manajer")
    assert _post(client, login, "/admin/services/A/booking", {})[0] == 302
    # WHEN its schedule closes at 09:00 on Mondays
    status, _ = _post(
        client,
        login,
        "/admin/services/A/hours",
        {"mon": "07:00-09:00", "tue": "08:00-12:00, 13:00-14:00"},
    )
    # THEN A, and B which shares the schedule, are closed now; D (another schedule) is not
    assert status == 302
    assert _issue(web_ctx, "r2", "A").reason == Reason.CLOSED.value
    assert _issue(web_ctx, "r3", "B").reason == Reason.CLOSED.value
    assert _issue(web_ctx, "r4", "D").ok
    schedule = web_ctx.site.schedules_by_id["buka-0800-1400"]
    assert [str(p) for p in schedule.mon] == ["07:00-09:00"]
    # AND the days the form did not send keep their hours
    assert [str(p) for p in schedule.wed] == ["08:00-12:00", "13:00-14:00"]
    page = client.get("/admin/services/A").get_data(as_text=True)
    assert "di berkas: 08:00-12:00, 13:00-14:00" in page
    # AND reset to the file, A is open again
    assert _post(client, login, "/admin/services/A/hours/reset", {})[0] == 302
    assert _issue(web_ctx, "r5", "A").ok
    assert _post(client, login, "/admin/services/A/booking/reset", {})[0] == 302
    assert load_overrides(web_ctx.queue.setting(SETTING)).is_empty()


@pytest.mark.parametrize(
    ("mon", "words"),
    [
        ("8-12", 'Sen: "8-12" bukan jam buka seperti 08:00-12:00'),
        ("12:00-08:00", 'Sen: "12:00-08:00" bukan jam buka'),
        (
            "08:00-12:00, 11:00-14:00",
            "schedules[0].mon[1]: jam buka harus berurutan dan tidak tumpang tindih "
            "(08:00-12:00 lalu 11:00-14:00)",
        ),
    ],
)
def test_bad_hours_are_refused(
    client: FlaskClient, login: Login, web_ctx: WebContext, mon: str, words: str
) -> None:
    site = web_ctx.site
    login("manajer")
    status, page = _post(client, login, "/admin/services/A/hours", {"mon": mon})
    assert status == 400
    assert words in page
    assert f'value="{mon}"' in page
    _nothing_changed(web_ctx, site)


# -- counters -------------------------------------------------------------------------


def test_a_counter_given_service_b_calls_b_tickets(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN a B ticket waiting, and counter 1 serving A only: it has nobody to call
    assert _issue(web_ctx, "r1", "B").ok
    with pytest.raises(Refused) as empty:
        web_ctx.queue.run(lambda engine, now: engine.call_next(1, now))
    assert empty.value.reason is Reason.QUEUE_EMPTY
    login("manajer")
    # WHEN counter 1 is given B too
    status, _ = _post(
        client, login, "/admin/counters/1", {"name": "Loket 1", "services": ["A", "B"]}
    )
    # THEN its next call takes the B ticket
    assert status == 302
    called = web_ctx.queue.run(lambda engine, now: engine.call_next(1, now)).ticket
    assert called is not None
    assert called.number == "B001"
    row = _row(client.get("/admin/counters").get_data(as_text=True), "counter-1")
    assert "Perpanjangan SIM" in row
    assert "Diubah dari berkas: Layanan" in row


def test_a_counter_is_renamed(client: FlaskClient, login: Login, web_ctx: WebContext) -> None:
    login("manajer")
    _post(client, login, "/admin/counters/3", {"name": "Loket SIM", "services": ["B"]})
    assert web_ctx.site.counters_by_number[3].display_name == "Loket SIM"
    saved = load_overrides(web_ctx.queue.setting(SETTING))
    assert saved.counters[3].fields() == {"name": "Loket SIM"}


@pytest.mark.parametrize(
    ("lang", "number", "services", "words"),
    [
        ("id", 7, ["E"], "services[3]: tidak ada loket yang melayani layanan D"),
        ("en", 7, ["E"], "services[3]: no counter serves service D"),
        ("id", 3, [], "counters[2].services: loket harus melayani paling sedikit satu layanan"),
        ("en", 3, [], "counters[2].services: a counter must serve at least one service"),
    ],
)
def test_an_edit_leaving_a_service_or_counter_without_the_other_is_refused(
    client: FlaskClient,
    login: Login,
    web_ctx: WebContext,
    lang: str,
    number: int,
    services: list[str],
    words: str,
) -> None:
    # GIVEN the manager, in Bahasa Indonesia or English
    site = web_ctx.site
    login("manajer")
    with client.session_transaction() as session:
        session["lang"] = lang
    # WHEN counter 7 (D's only counter) is given E instead, or counter 3 nothing
    status, page = _post(
        client, login, f"/admin/counters/{number}", {"name": "", "services": services}
    )
    # THEN the edit is refused with the key and the problem, and nothing changed
    assert status == 400
    assert words in page
    _nothing_changed(web_ctx, site)


# -- reset and restart ----------------------------------------------------------------


def test_reset_to_the_file_restores_the_files_values(
    client: FlaskClient, login: Login, web_ctx: WebContext, example_site: Site
) -> None:
    # GIVEN A's quota and counter 1's services edited
    login("manajer")
    _post(client, login, "/admin/services/A", {**SERVICE_A, "daily_quota": "2"})
    _post(client, login, "/admin/counters/1", {"name": "Loket 1", "services": ["A", "B"]})
    # WHEN the manager resets A to the file
    status, _ = _post(client, login, "/admin/services/A/reset", {})
    # THEN A has the file's quota again, live and in the saved overrides; counter 1 keeps B
    assert status == 302
    assert web_ctx.queue.engine.site.services_by_prefix["A"].daily_quota == 60
    saved = load_overrides(web_ctx.queue.setting(SETTING))
    assert not saved.services
    assert saved.counters[1].fields() == {"services": ["A", "B"]}
    assert "Diubah" not in _row(client.get("/admin/services").get_data(as_text=True), "service-A")
    # AND resetting counter 1 too leaves the site as the file says, with nothing saved over it
    _post(client, login, "/admin/counters/1/reset", {})
    assert web_ctx.site == example_site
    assert load_overrides(web_ctx.queue.setting(SETTING)).is_empty()


def test_the_edits_survive_a_restart(
    client: FlaskClient, login: Login, web_ctx: WebContext, example_site: Site
) -> None:
    # GIVEN A's quota lowered to 2 and counter 1 given B, and one A ticket issued
    login("manajer")
    _post(client, login, "/admin/services/A", {**SERVICE_A, "daily_quota": "2"})
    _post(client, login, "/admin/counters/1", {"name": "Loket 1", "services": ["A", "B"]})
    assert _issue(web_ctx, "r1", "A").ok
    # WHEN the central starts again from the same database and the same site file
    store = SqliteStore(web_ctx.database)
    try:
        site = site_at_start(example_site, store.setting(SETTING))
        queue = QueueService(site, store, SimulatedClock(at(9)))
        # THEN the edits hold: the second A ticket is the last
        assert site.services_by_prefix["A"].daily_quota == 2
        assert site.counters_by_number[1].services == ["A", "B"]
        queue.run(lambda engine, now: engine.issue("A", now))
        with pytest.raises(Refused) as full:
            queue.run(lambda engine, now: engine.issue("A", now))
        assert full.value.reason is Reason.QUOTA_FULL
    finally:
        store.close()


def test_overrides_the_file_no_longer_accepts_are_left_out_at_start(
    example_site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN overrides that take D's only counter away, saved before the file changed
    saved = '{"counters": {"7": {"services": ["E"]}}, "services": {"ZZ": {"name": "Gone"}}}'
    # WHEN the central starts on them
    site = site_at_start(example_site, saved)
    # THEN it runs on the file alone, and says why
    assert site == example_site
    assert "no counter serves service 'D'" in caplog.text
    assert "services['ZZ']" in caplog.text


# -- who may edit ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin/services/A", "/admin/services/A/hours", "/admin/counters/1"]
)
def test_a_clerk_may_not_edit(
    client: FlaskClient, login: Login, web_ctx: WebContext, path: str
) -> None:
    site = web_ctx.site
    login("siti")
    assert client.get("/admin/services/A").status_code == 403
    assert client.get("/admin/counters/1").status_code == 403
    status, _ = _post(
        client, login, path, {**SERVICE_A, "daily_quota": "2", "services": ["A", "B"]}
    )
    assert status == 403
    assert _post(client, login, path.split("/hours")[0] + "/reset", {})[0] == 403
    _nothing_changed(web_ctx, site)


def test_an_edit_without_the_csrf_token_is_refused(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    site = web_ctx.site
    login("admin")
    response = client.post("/admin/services/A", data={**SERVICE_A, "daily_quota": "2"})
    assert response.status_code == 400
    assert client.post("/admin/counters/1/reset").status_code == 400
    _nothing_changed(web_ctx, site)


def test_an_unknown_service_or_counter_is_a_404(client: FlaskClient, login: Login) -> None:
    login("manajer")
    assert client.get("/admin/services/ZZ").status_code == 404
    assert client.get("/admin/counters/99").status_code == 404
    assert _post(client, login, "/admin/counters/99", {"services": ["A"]})[0] == 404


# -- everyone who holds the site ------------------------------------------------------


def test_the_edited_site_reaches_the_web_and_the_central(
    client: FlaskClient, login: Login, web_ctx: WebContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a central on the same queue, handed every live edit
    credentials = Credentials(
        username="central", password="x", host="127.0.0.1", port=1, site="samarinda"
    )
    central = Central(web_ctx.site, web_ctx.queue, credentials)
    published: list[tuple[str, bytes]] = []

    def publish(topic: str, payload: bytes, **options: Any) -> mqtt.MQTTMessageInfo:
        published.append((topic, payload))
        return mqtt.MQTTMessageInfo(0)

    monkeypatch.setattr(central.client, "publish", publish)
    web_ctx.replace_site = central.replace_site
    login("manajer")
    # WHEN the manager renames A
    _post(client, login, "/admin/services/A", {**SERVICE_A, "name": "Paspor baru"})
    central._work(central._inbox.get_nowait())
    # THEN the central's worker holds the new site and republished the state with the name
    assert central.site is web_ctx.site
    assert central.handler.site is web_ctx.site
    topic, payload = published[-1]
    assert topic == central.topics.state
    names = {view.prefix: view.name for view in decode(payload, QueueState).services}
    assert names["A"] == "Paspor baru"


def test_the_central_starts_with_the_saved_edits(
    provisioned: Provisioned, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # GIVEN edits saved in the central's database: A renamed, its quota 1
    database = tmp_path / "antre.sqlite3"
    store = SqliteStore(database)
    store.set_setting(
        SETTING,
        msgspec.json.encode({"services": {"A": {"name": "Paspor", "daily_quota": 1}}}).decode(),
    )
    store.close()
    central = CentralProcess(provisioned, database)
    kiosk = None
    try:
        # WHEN the central starts
        central.start()
        # THEN the displays get the new name, and a kiosk gets one ticket of A, not two
        state = wait_for_state(provisioned, lambda s: any(v.name == "Paspor" for v in s.services))
        assert state.site == "samarinda"
        kiosk = Kiosk(provisioned, "kiosk-1")
        assert kiosk.ask("k1", "A").ok
        assert kiosk.ask("k2", "A").reason == Reason.QUOTA_FULL.value
    finally:
        if kiosk is not None:
            kiosk.close()
        central.kill()
    assert "site overrides applied" in central.log()
