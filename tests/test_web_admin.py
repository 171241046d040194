"""Administration pages: who may open them, devices, the notice line, staff accounts."""

import re
from html import unescape

import pytest
from flask.testing import FlaskClient

from broker.requests import RequestHandler
from broker.web.accounts import Role
from broker.web.context import WebContext
from contract.health import DeviceState
from contract.messages import DeviceStatus, IssueTicket, encode
from tests.web_fixtures import PASSWORD, Login

ADMIN_PAGES = ["/admin/", "/admin/devices", "/admin/services", "/admin/counters", "/admin/staff"]
NEW_PASSWORD = "kata-sandi-baru-99"


def _alerts(html: str) -> str:
    """The red box at the top of the overview (empty when there is none)."""
    found = re.search(r'<section class="card alert".*?</section>', html, re.S)
    return found.group(0) if found else ""


def _row(html: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>.*?</tr>', html, re.S)
    assert found is not None, f"no row {row_id}"
    return found.group(0)


class NoticeRecorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, text: str) -> None:
        self.sent.append(text)


@pytest.fixture
def recorder(web_ctx: WebContext) -> NoticeRecorder:
    recorder = NoticeRecorder()
    web_ctx.set_notice = recorder
    return recorder


# -- who may open the pages -----------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_clerk_may_not_open_the_administration(
    client: FlaskClient, login: Login, path: str
) -> None:
    # GIVEN siti, a clerk
    login("siti")
    # WHEN she opens an administration page
    response = client.get(path)
    # THEN she is refused
    assert response.status_code == 403


def test_a_clerk_may_not_change_the_notice(
    client: FlaskClient, login: Login, recorder: NoticeRecorder
) -> None:
    login("siti")
    response = client.post("/admin/notice", data={"notice": "Hai", "csrf_token": login.csrf()})
    assert response.status_code == 403
    assert recorder.sent == []


def test_a_visitor_is_sent_to_the_login(client: FlaskClient) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ADMIN_PAGES[:4])
def test_a_manager_opens_every_page_but_staff(client: FlaskClient, login: Login, path: str) -> None:
    login("manajer")
    assert client.get(path).status_code == 200
    assert client.get("/admin/staff").status_code == 403


def test_a_manager_may_not_create_a_user(client: FlaskClient, login: Login) -> None:
    # GIVEN the manager
    login("manajer")
    # WHEN she posts the staff form anyway
    response = client.post(
        "/admin/staff",
        data={
            "username": "dewi",
            "role": "admin",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "csrf_token": login.csrf(),
        },
    )
    # THEN nothing is made
    assert response.status_code == 403


# -- words ----------------------------------------------------------------------------

# Every administration page an admin opens, the edit pages included.
EVERY_ADMIN_PAGE = [*ADMIN_PAGES, "/admin/services/A", "/admin/counters/1", "/admin/audit"]


def _visible_text(html: str) -> str:
    """What a reader sees: the text of a page without tags (so no URLs, ids or classes),
    scripts or styles."""
    without_code = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", without_code)).split())


@pytest.mark.parametrize("path", EVERY_ADMIN_PAGE)
def test_the_administration_says_central_in_bahasa_indonesia(
    client: FlaskClient, login: Login, path: str
) -> None:
    # GIVEN an admin, in Bahasa Indonesia (the default)
    login("admin")
    # WHEN she opens an administration page
    response = client.get(path)
    # THEN no English "central" is left in what she reads
    assert response.status_code == 200
    assert "central" not in _visible_text(response.get_data(as_text=True)).lower()


def test_the_live_edit_notes_name_the_central_server(client: FlaskClient, login: Login) -> None:
    # GIVEN an admin
    login("admin")
    # WHEN she reads the services page in Bahasa Indonesia, then in English
    indonesian = _visible_text(client.get("/admin/services").get_data(as_text=True))
    client.post("/language", data={"lang": "en", "csrf_token": login.csrf(), "next": "/"})
    english = _visible_text(client.get("/admin/services").get_data(as_text=True))
    # THEN the notes say "server pusat" in one and "central" in the other
    assert "disimpan di basis data server pusat" in indonesian
    assert "lalu server pusat dimulai ulang" in indonesian
    assert "Layar dan jawaban server pusat" in indonesian
    assert "kept in the central's database" in english


# -- devices --------------------------------------------------------------------------


def test_a_lost_kiosk_and_one_out_of_paper_are_flagged_in_red(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN kiosk-1 lost, kiosk-2 online without paper, the displays never seen
    web_ctx.devices["kiosk-1"] = DeviceStatus(device="kiosk-1", state=DeviceState.LOST)
    web_ctx.devices["kiosk-2"] = DeviceStatus(
        device="kiosk-2",
        state=DeviceState.ONLINE,
        version="0.1.0",
        at="2026-11-30T00:55:02+00:00",
        health={"printer": "paper_out", "outbox": 3, "offline_pending": 2},
    )
    login("manajer")
    # WHEN the manager opens the overview
    overview = client.get("/admin/").get_data(as_text=True)
    # THEN both kiosks are in the red box at the top, and the counts add up
    alerts = _alerts(overview)
    assert "Kiosk 1 (pintu masuk)" in alerts
    assert "hilang" in alerts
    assert "Kiosk 2 (ruang tunggu)" in alerts
    assert "kertas habis" in alerts
    assert overview.index("card alert") < overview.index("<h1>")
    assert "Terhubung: 1" in overview
    assert "Hilang: 1" in overview
    assert "Belum pernah terhubung: 3" in overview
    # AND the device page shows each one's state, health, version and time in WITA
    page = client.get("/admin/devices").get_data(as_text=True)
    lost = _row(page, "device-kiosk-1")
    assert 'class="alarm"' in lost
    assert "Hilang" in lost
    paper = _row(page, "device-kiosk-2")
    assert 'class="alarm"' in paper
    assert "kertas habis" in paper
    assert "<td>3</td>" in paper
    assert "<td>2</td>" in paper
    assert "0.1.0" in paper
    assert "2026-11-30 08:55:02 WITA" in paper
    display = _row(page, "device-display-lobby")
    assert "belum pernah terhubung" in display.lower()
    assert "alarm" not in display


def test_a_survey_unit_is_listed_and_a_lost_one_is_a_warning_not_an_alarm(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN the survey unit of counters 1-2 lost (its Pi unplugged)
    web_ctx.devices["survey-1"] = DeviceStatus(device="survey-1", state=DeviceState.LOST)
    login("manajer")
    # WHEN the manager opens the devices page and the overview
    page = client.get("/admin/devices").get_data(as_text=True)
    overview = client.get("/admin/").get_data(as_text=True)
    # THEN it is listed as a survey unit of its counters, lost, but not in the red box
    row = _row(page, "device-survey-1")
    assert "Unit survei" in row
    assert "survey-1 (loket 1, 2)" in row
    assert "Hilang" in row
    assert 'class="alarm"' not in row
    assert "survey-1" not in _alerts(overview)


def test_a_kiosk_without_its_scanner_is_a_warning(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN kiosk 2 online and printing, its QR scanner unplugged
    web_ctx.devices["kiosk-2"] = DeviceStatus(
        device="kiosk-2",
        state=DeviceState.ONLINE,
        health={"printer": "ok", "scanner": "missing"},
    )
    login("manajer")
    # WHEN the manager opens the devices page and the overview
    page = client.get("/admin/devices").get_data(as_text=True)
    overview = client.get("/admin/").get_data(as_text=True)
    # THEN the kiosk is a warning that says where booked citizens check in, not an alarm
    row = _row(page, "device-kiosk-2")
    assert 'class="warn"' in row
    assert "pemindai QR tidak ditemukan" in overview
    assert "Kiosk 2" not in _alerts(overview)


def test_healthy_devices_raise_no_alert(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    for device in ("kiosk-1", "kiosk-2"):
        web_ctx.devices[device] = DeviceStatus(
            device=device, state=DeviceState.ONLINE, health={"printer": "ok"}
        )
    login("manajer")
    assert _alerts(client.get("/admin/").get_data(as_text=True)) == ""


# -- the notice line ------------------------------------------------------------------


def test_the_notice_is_trimmed_published_and_kept(
    client: FlaskClient, login: Login, web_ctx: WebContext, recorder: NoticeRecorder
) -> None:
    # GIVEN the manager
    login("manajer")
    # WHEN she saves a notice with spaces around it
    response = client.post(
        "/admin/notice",
        data={"notice": "  Loket 3 tutup pukul 11.00  ", "csrf_token": login.csrf()},
    )
    # THEN it is published trimmed, kept, and shown in the form
    assert response.status_code == 302
    assert recorder.sent == ["Loket 3 tutup pukul 11.00"]
    assert web_ctx.notice == "Loket 3 tutup pukul 11.00"
    page = client.get("/admin/").get_data(as_text=True)
    assert 'value="Loket 3 tutup pukul 11.00"' in page
    assert "Teks berjalan disimpan" in page


@pytest.mark.parametrize(
    ("text", "words"),
    [("x" * 301, "terlalu panjang"), ("dua\nbaris", "satu baris"), ("bel\x07", "satu baris")],
)
def test_a_bad_notice_is_refused(
    client: FlaskClient,
    login: Login,
    web_ctx: WebContext,
    recorder: NoticeRecorder,
    text: str,
    words: str,
) -> None:
    # GIVEN a notice already showing
    web_ctx.notice = "Selamat datang"
    login("manajer")
    # WHEN the manager sends one too long or with control characters
    response = client.post("/admin/notice", data={"notice": text, "csrf_token": login.csrf()})
    # THEN it is refused with a message and nothing is published
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert recorder.sent == []
    assert web_ctx.notice == "Selamat datang"


def test_a_notice_of_exactly_300_characters_is_taken(
    client: FlaskClient, login: Login, recorder: NoticeRecorder
) -> None:
    login("manajer")
    client.post("/admin/notice", data={"notice": "y" * 300, "csrf_token": login.csrf()})
    assert recorder.sent == ["y" * 300]


def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, login: Login, recorder: NoticeRecorder
) -> None:
    login("admin")
    response = client.post("/admin/notice", data={"notice": "Palsu"})
    assert response.status_code == 400
    assert recorder.sent == []


# -- services and counters ------------------------------------------------------------


def test_services_show_hours_quota_and_todays_counts(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN two tickets for A issued this morning
    handler = RequestHandler(web_ctx.queue)
    for n in range(2):
        handler.kiosk("kiosk-1", encode(IssueTicket(id=f"r{n}", service="A")))
    login("manajer")
    # WHEN the manager opens the services
    page = client.get("/admin/services").get_data(as_text=True)
    # THEN A shows its agency, quota, hours, cut-off and today's figures
    row = _row(page, "service-A")
    assert "Kantor Imigrasi" in row
    assert "Sen-Kam</span> 08:00-12:00, 13:00-14:00" in row
    assert "Sab-Min</span> tutup" in row
    assert "30 menit" in row
    assert '<td class="waiting">2</td>' in row
    assert '<td class="issued">2 / 60</td>' in row
    assert "tanpa kuota" in _row(page, "service-D")
    assert "Hanya-baca" in page
    counters = client.get("/admin/counters").get_data(as_text=True)
    assert '<td class="waiting">2</td>' in _row(counters, "counter-1")


# -- staff ----------------------------------------------------------------------------


def _create(client: FlaskClient, login: Login, **fields: str) -> str:
    data = {
        "username": "dewi",
        "name": "Dewi Lestari",
        "role": "clerk",
        "counters": "4, 5",
        "password": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "csrf_token": login.csrf(),
    }
    data.update(fields)
    response = client.post("/admin/staff", data=data)
    return f"{response.status_code} {response.get_data(as_text=True)}"


def test_an_admin_creates_a_clerk_who_can_log_in(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    # GIVEN the admin
    login("admin")
    # WHEN she adds Dewi at counters 4 and 5
    answer = _create(client, login)
    # THEN Dewi exists with those counters, and can log in with her password
    assert answer.startswith("302")
    dewi = web_ctx.accounts.by_username("dewi")
    assert dewi is not None
    assert (dewi.role, dewi.counters, dewi.name) == (Role.CLERK, (4, 5), "Dewi Lestari")
    assert "dewi" in client.get("/admin/staff").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": login.csrf()})
    login("dewi", NEW_PASSWORD)
    with client.session_transaction() as session:
        assert session["user_id"] == dewi.id


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"counters": "4, 99"}, "Loket 99 tidak ada"),
        ({"counters": "empat"}, "nomor dipisah koma"),
        ({"counters": ""}, "paling sedikit satu loket"),
        ({"password2": "lain-sekali-123"}, "tidak sama"),
        ({"password": "pendek", "password2": "pendek"}, "paling sedikit 10"),
        ({"username": "siti"}, "sudah dipakai"),
        ({"username": "Dewi Lestari!"}, "huruf kecil"),
        ({"role": "raja"}, "Pilih peran"),
    ],
)
def test_a_bad_new_user_is_refused_with_a_message(
    client: FlaskClient, login: Login, web_ctx: WebContext, fields: dict[str, str], words: str
) -> None:
    login("admin")
    before = web_ctx.accounts.count()
    answer = _create(client, login, **fields)
    assert answer.startswith("400")
    assert words in answer
    assert web_ctx.accounts.count() == before


def test_an_admin_edits_a_user_and_resets_a_password(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    budi = web_ctx.accounts.by_username("budi")
    assert budi is not None
    login("admin")
    # WHEN budi moves to counters 3 and 4, then gets a new password
    client.post(
        f"/admin/staff/{budi.id}",
        data={"name": "Budi S.", "role": "clerk", "counters": "3 4", "csrf_token": login.csrf()},
    )
    reset = client.post(
        f"/admin/staff/{budi.id}/password",
        data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD, "csrf_token": login.csrf()},
    )
    # THEN both took effect
    assert reset.status_code == 302
    changed = web_ctx.accounts.get(budi.id)
    assert changed is not None
    assert (changed.name, changed.counters, changed.disabled) == ("Budi S.", (3, 4), False)
    assert web_ctx.accounts.authenticate("budi", PASSWORD) is None
    assert web_ctx.accounts.authenticate("budi", NEW_PASSWORD) is not None
    # AND disabling him works too
    client.post(
        f"/admin/staff/{budi.id}",
        data={"role": "clerk", "counters": "3", "disabled": "on", "csrf_token": login.csrf()},
    )
    assert web_ctx.accounts.authenticate("budi", NEW_PASSWORD) is None


def test_an_admin_cannot_lock_herself_out(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    admin = web_ctx.accounts.by_username("admin")
    assert admin is not None
    login("admin")
    response = client.post(
        f"/admin/staff/{admin.id}",
        data={"role": "clerk", "counters": "1", "csrf_token": login.csrf()},
    )
    assert response.status_code == 400
    assert "akun sendiri" in response.get_data(as_text=True)
    assert web_ctx.accounts.get(admin.id) == admin


def test_an_api_token_is_shown_once_and_works(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    siti = web_ctx.accounts.by_username("siti")
    assert siti is not None
    login("admin")
    response = client.post(
        f"/admin/staff/{siti.id}/token", data={"label": "papan LED", "csrf_token": login.csrf()}
    )
    page = response.get_data(as_text=True)
    found = re.search(r'<code class="token-value">([^<]+)</code>', page)
    assert found is not None
    assert response.headers["Cache-Control"] == "no-store"
    assert web_ctx.accounts.user_for_token(found.group(1)) == siti
    assert found.group(1) not in client.get("/admin/staff").get_data(as_text=True)


def test_editing_a_user_who_does_not_exist_is_a_404(client: FlaskClient, login: Login) -> None:
    login("admin")
    response = client.post(
        "/admin/staff/9999", data={"role": "clerk", "counters": "1", "csrf_token": login.csrf()}
    )
    assert response.status_code == 404
