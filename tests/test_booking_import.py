"""Importing bookings taken by another system: the REST call (idempotent by source and
external id) and the manager's CSV page (all rows or none)."""

import io
from typing import Any

from flask.testing import FlaskClient

from broker.bookings import BookingDesk, BookingSource
from broker.web.context import WebContext
from tests.booking_web_fixtures import DAY, NIK, SERVICE, SLOT, csrf_of
from tests.test_web_api import API, bearer, body, token_of
from tests.web_fixtures import Login

ONE = {
    "source": "portal-kaltim",
    "external_id": "PK-0001",
    "service": SERVICE,
    "day": DAY.isoformat(),
    "slot": f"{SLOT:%H:%M}",
    "name": "Siti Aminah",
    "nik": NIK,
    "phone": "081234567890",
}


def send(
    client: FlaskClient, headers: dict[str, str], **changes: Any
) -> tuple[int, dict[str, Any]]:
    response = client.post(f"{API}/bookings", json={**ONE, **changes}, headers=headers)
    return response.status_code, body(response)


def test_an_import_books_once_and_a_repeat_gives_the_same_booking(
    client: FlaskClient, web_ctx: WebContext, bookings_on: BookingDesk
) -> None:
    headers = bearer(token_of(web_ctx, "manajer"))
    # WHEN a portal sends a booking, then sends it again (a retry after a lost answer)
    first_status, first = send(client, headers)
    again_status, again = send(client, headers, name="  Siti   Aminah ")
    # THEN the first books (201) and the repeat answers 200 with the same booking
    assert first_status == 201
    assert again_status == 200
    assert again["code"] == first["code"]
    assert first["slot"] == "10:00"
    assert first["source"] == "portal-kaltim"
    assert first["external_id"] == "PK-0001"
    assert first["check_in_from"].startswith(f"{DAY.isoformat()}T09:30")
    assert "nik" not in first
    # AND one booking is kept, as an import
    kept = bookings_on.bookings(SERVICE, DAY)
    assert [b.code for b in kept] == [first["code"]]
    assert kept[0].source is BookingSource.IMPORT


def test_a_conflicting_repeat_is_refused_and_the_first_stands(
    client: FlaskClient, web_ctx: WebContext, bookings_on: BookingDesk
) -> None:
    headers = bearer(token_of(web_ctx, "manajer"))
    _, first = send(client, headers)
    # WHEN the same pair comes with another slot
    status, refused = send(client, headers, slot="11:00")
    # THEN it is refused as a conflict naming the first booking, which is unchanged
    assert status == 409
    assert refused["reason"] == "import_conflict"
    assert first["code"] in refused["message"]
    kept = bookings_on.find(first["code"])
    assert kept is not None
    assert kept.slot == SLOT
    # AND the same external id from another system is another booking (another NIK)
    status, other = send(client, headers, source="app-imigrasi", nik="6472011203900002")
    assert status == 201
    assert other["code"] != first["code"]


def test_bad_imports_are_refused_in_the_api_shape(
    client: FlaskClient, web_ctx: WebContext, bookings_on: BookingDesk
) -> None:
    headers = bearer(token_of(web_ctx, "manajer"))
    # WHEN a body misses the NIK, has a short NIK, or asks for a service without bookings
    missing = {key: value for key, value in ONE.items() if key != "nik"}
    no_nik = client.post(f"{API}/bookings", json=missing, headers=headers)
    short_status, short = send(client, headers, nik="6472011203900001"[:-1] + "x")
    not_bookable_status, not_bookable = send(client, headers, service="B")
    # THEN each is refused with its reason, and nothing is booked
    assert no_nik.status_code == 400
    assert body(no_nik)["reason"] == "bad_request"
    assert (short_status, short["reason"]) == (422, "bad_nik")
    assert (not_bookable_status, not_bookable["reason"]) == (422, "not_bookable")
    assert bookings_on.bookings(None, DAY) == []
    # AND without a token nothing happens at all
    assert client.post(f"{API}/bookings", json=ONE).status_code == 401


CSV_HEADER = "source,external_id,service,day,slot,name,nik,phone\n"


def upload(client: FlaskClient, text: str) -> tuple[int, str]:
    client.get("/booking-import/")
    data = {"csrf_token": csrf_of(client), "file": (io.BytesIO(text.encode()), "b.csv")}
    response = client.post("/booking-import/", data=data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def row(external_id: str, nik: str, slot: str = "10:00", day: str = DAY.isoformat()) -> str:
    return f"portal,{external_id},{SERVICE},{day},{slot},Warga {external_id},{nik},\n"


def test_a_csv_with_a_bad_row_books_nothing_and_lists_every_bad_row(
    client: FlaskClient, login: Login, bookings_on: BookingDesk
) -> None:
    login("manajer")
    # GIVEN a file whose rows 3 and 5 are wrong (a bad date, a NIK twice that day)
    text = CSV_HEADER + "".join(
        [
            row("1", "6472000000000001"),
            row("2", "6472000000000002", day="30-11-2026"),
            row("3", "6472000000000003"),
            row("4", "6472000000000001", slot="11:00"),
        ]
    )
    # WHEN a manager uploads it
    status, html = upload(client, text)
    # THEN nothing is booked and both bad rows are shown with why
    assert status == 400
    assert "Tidak ada yang dibooking" in html
    assert "tanggal harus seperti 2026-11-30" in html
    assert "NIK ini sudah memiliki booking" in html
    assert "<td>3</td>" in html
    assert "<td>5</td>" in html
    assert "<td>2</td>" not in html
    assert bookings_on.bookings(None, DAY) == []


def test_a_good_csv_books_each_row_once_even_sent_twice(
    client: FlaskClient, login: Login, bookings_on: BookingDesk
) -> None:
    login("manajer")
    text = CSV_HEADER + row("1", "6472000000000001") + row("2", "6472000000000002", "10:15")
    # WHEN the file is sent, then sent again
    first_status, first = upload(client, text)
    again_status, again = upload(client, text)
    # THEN the first books both rows, the second books none and says they were imported
    assert (first_status, again_status) == (200, 200)
    assert "2 dibooking, 0 sudah diimpor" in first
    assert "0 dibooking, 2 sudah diimpor" in again
    assert len(bookings_on.bookings(SERVICE, DAY)) == 2


def test_a_file_that_is_not_the_csv_is_refused_clearly(
    client: FlaskClient, login: Login, bookings_on: BookingDesk
) -> None:
    login("manajer")
    status, html = upload(client, "nama;nik\nSiti;6472000000000001\n")
    assert status == 400
    assert "baris judul source, external_id" in html


def test_only_managers_import(client: FlaskClient, login: Login, bookings_on: BookingDesk) -> None:
    login("siti")
    assert client.get("/booking-import/").status_code == 403
