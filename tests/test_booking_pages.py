"""The citizens' booking pages: choose, book, see the code and its QR, cancel or move
once by code and NIK; the same answer for a wrong pair as for an unknown code."""

import datetime as dt

from flask.testing import FlaskClient

from broker.bookings import BookingDesk, BookingState
from tests.booking_web_fixtures import DAY, NIK, SERVICE, SLOT, code_in, csrf_of

FORM = f"/b/{SERVICE}/{DAY.isoformat()}/{SLOT:%H%M}"


def book(client: FlaskClient, nik: str = NIK, name: str = "Siti Aminah") -> str:
    """Books the slot through the pages as a citizen would; returns the code shown."""
    client.get(FORM)
    fields = {"name": name, "nik": nik, "phone": "0812 3456 7890", "csrf_token": csrf_of(client)}
    checked = client.post(FORM, data={**fields, "step": "check"})
    assert checked.status_code == 200
    done = client.post(FORM, data={**fields, "step": "confirm"}, follow_redirects=True)
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    return code_in(done.get_data(as_text=True))


def test_a_citizen_books_step_by_step_and_gets_a_code_and_its_qr(
    client: FlaskClient, bookings_on: BookingDesk
) -> None:
    # GIVEN the example site, whose service A takes bookings, at 09:00 on Monday
    # WHEN a citizen opens the booking pages
    services = client.get("/b/").get_data(as_text=True)
    days = client.get(f"/b/{SERVICE}/").get_data(as_text=True)
    slots = client.get(f"/b/{SERVICE}/{DAY.isoformat()}/").get_data(as_text=True)
    # THEN only the services taking bookings are offered, with their bookable days and
    # today's slots still ahead (09:00 has started: 08:45 is gone)
    assert f'href="/b/{SERVICE}/"' in services
    assert 'href="/b/B/"' not in services
    assert f'href="/b/{SERVICE}/{DAY.isoformat()}/"' in days
    assert "Senin, 30 November 2026" in days
    assert f"{FORM}" in slots
    assert f"/b/{SERVICE}/{DAY.isoformat()}/0845" not in slots
    # WHEN they give their details and confirm
    code = book(client)
    # THEN the booking is kept, with the NIK only as its hash, and the page shows the code
    # spaced, its QR as SVG, the window in words and the note about the NIK
    kept = bookings_on.find(code)
    assert kept is not None
    assert kept.state is BookingState.BOOKED
    assert kept.slot == SLOT
    assert NIK not in kept.nik_hash
    page = client.get(f"/b/done/{code}").get_data(as_text=True)
    assert f"{code[:5]} {code[5:]}" in page
    # (a full QR code of version 1, 21 modules and the quiet zone: not a Micro QR, which
    # many scanners cannot read)
    assert '<svg viewBox="0 0 29 29"' in page
    assert NIK not in page
    assert "Check-in di kiosk dari pukul 09:30 sampai 10:15" in page
    assert "tidak disimpan dalam bentuk asli" in page


def test_a_wrong_nik_is_explained_and_nothing_is_booked(
    client: FlaskClient, bookings_on: BookingDesk
) -> None:
    # GIVEN the form WHEN the NIK has 15 digits
    client.get(FORM)
    fields = {"name": "Budi", "nik": "647201120390000", "phone": "", "csrf_token": csrf_of(client)}
    response = client.post(FORM, data={**fields, "step": "confirm"})
    # THEN the form comes back with a clear message and the name kept, nothing booked
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "NIK harus 16 angka" in html
    assert 'value="Budi"' in html
    assert bookings_on.bookings(SERVICE, DAY) == []


def test_a_form_without_its_csrf_token_is_refused(
    client: FlaskClient, bookings_on: BookingDesk
) -> None:
    # WHEN a post comes without the session's token (another site's form, a bot)
    response = client.post(FORM, data={"name": "X", "nik": NIK, "step": "confirm"})
    # THEN it is refused and nothing is booked
    assert response.status_code == 400
    assert bookings_on.bookings(SERVICE, DAY) == []


def test_a_booking_page_is_shown_only_to_the_browser_that_made_it(
    client: FlaskClient, bookings_on: BookingDesk, app: object
) -> None:
    # GIVEN a booking made in one browser
    code = book(client)
    # WHEN another browser asks for its page by the code alone
    other = client.application.test_client()
    # THEN it is not found
    assert other.get(f"/b/done/{code}").status_code == 404


def test_cancel_by_code_and_nik_and_the_same_answer_for_a_wrong_pair(
    client: FlaskClient, bookings_on: BookingDesk
) -> None:
    # GIVEN a booking
    code = book(client)
    stranger = client.application.test_client()
    stranger.get("/b/manage/")
    token = csrf_of(stranger)
    # WHEN a stranger tries its code with another NIK, and a made-up code
    wrong = stranger.post(
        "/b/manage/", data={"code": code, "nik": "6472011203909999", "csrf_token": token}
    )
    unknown = stranger.post(
        "/b/manage/", data={"code": "A-ZZZZZZ", "nik": NIK, "csrf_token": token}
    )
    # THEN both get the same words and status, and the booking cannot be opened
    assert wrong.status_code == unknown.status_code == 404
    message = "tidak cocok dengan booking mana pun"
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert stranger.post("/b/manage/cancel", data={"csrf_token": token}).status_code == 303
    assert bookings_on.find(code).state is BookingState.BOOKED  # type: ignore[union-attr]
    # WHEN the citizen gives the code (typed loosely) and their NIK, then cancels
    owner = client.application.test_client()
    owner.get("/b/manage/")
    token = csrf_of(owner)
    typed = code.lower().replace("-", " ")
    opened = owner.post(
        "/b/manage/", data={"code": typed, "nik": NIK, "csrf_token": token}, follow_redirects=True
    )
    assert opened.status_code == 200
    assert code_in(opened.get_data(as_text=True)) == code
    cancelled = owner.post("/b/manage/cancel", data={"csrf_token": token})
    # THEN the booking is cancelled and the page says so
    assert cancelled.status_code == 200
    assert f"Booking {code} dibatalkan" in cancelled.get_data(as_text=True)
    assert bookings_on.find(code).state is BookingState.CANCELLED  # type: ignore[union-attr]


def test_a_booking_moves_once(client: FlaskClient, bookings_on: BookingDesk) -> None:
    # GIVEN a booking opened by its code and NIK
    code = book(client)
    client.post("/b/manage/", data={"code": code, "nik": NIK, "csrf_token": csrf_of(client)})
    token = csrf_of(client)
    later = DAY + dt.timedelta(days=1)
    # WHEN it is moved to Tuesday 08:00
    moved = client.post(
        f"/b/manage/move/{later.isoformat()}/", data={"slot": "0800", "csrf_token": token}
    )
    # THEN it is there, and the page offers no second move
    assert moved.status_code == 200
    kept = bookings_on.find(code)
    assert kept is not None
    assert (kept.day, kept.slot) == (later, dt.time(8, 0))
    html = moved.get_data(as_text=True)
    assert "dipindah" in html
    assert 'id="move"' not in html
    # WHEN it is moved again THEN it is refused in words
    again = client.post(
        f"/b/manage/move/{DAY.isoformat()}/", data={"slot": "1100", "csrf_token": token}
    )
    assert again.status_code in (302, 303, 409)
    kept = bookings_on.find(code)
    assert kept is not None
    assert kept.day == later


def test_the_english_switch_keeps_the_page(client: FlaskClient, bookings_on: BookingDesk) -> None:
    # WHEN a citizen switches to English on the day list
    switched = client.get(f"/b/language/en?next=/b/{SERVICE}/")
    # THEN they are back on that list, in English
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith(f"/b/{SERVICE}/")
    assert "Monday, 30 November 2026" in client.get(f"/b/{SERVICE}/").get_data(as_text=True)
    # AND a switch pointing elsewhere goes to the booking pages only
    elsewhere = client.get("/b/language/id?next=https://evil.example/")
    assert elsewhere.headers["Location"].endswith("/b/")


def test_a_full_slot_is_shown_full_and_its_form_sends_back_to_the_slots(
    client: FlaskClient, bookings_on: BookingDesk
) -> None:
    # GIVEN the 10:00 slot's three places taken
    for n in range(3):
        book(client.application.test_client(), nik=f"647201120390000{n + 2}", name=f"W{n}")
    # WHEN a citizen looks at the day, and opens the slot's form by an old link
    slots = client.get(f"/b/{SERVICE}/{DAY.isoformat()}/").get_data(as_text=True)
    form = client.get(FORM)
    # THEN the slot is listed as full with no link, and the form is not offered
    assert f'href="{FORM}"' not in slots
    assert "<span>10:00<small>penuh</small></span>" in slots
    assert form.status_code == 409
    assert "Jam itu sudah penuh" in form.get_data(as_text=True)


def test_markup_and_sql_in_the_fields_are_only_text(
    client: FlaskClient, bookings_on: BookingDesk
) -> None:
    # WHEN a name holds markup, and a code holds SQL
    code = book(client, name="<script>alert(1)</script>")
    client.get("/b/manage/")
    sql = client.post(
        "/b/manage/",
        data={"code": "A' OR '1'='1", "nik": NIK, "csrf_token": csrf_of(client)},
    )
    # THEN the name is kept as typed and shown escaped, and the code finds nothing
    kept = bookings_on.find(code)
    assert kept is not None
    assert kept.name == "<script>alert(1)</script>"
    confirm = client.post(
        FORM,
        data={
            "name": kept.name,
            "nik": NIK,
            "phone": "",
            "step": "check",
            "csrf_token": csrf_of(client),
        },
    ).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in confirm
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in confirm
    assert sql.status_code == 404
    assert "tidak cocok dengan booking mana pun" in sql.get_data(as_text=True)
