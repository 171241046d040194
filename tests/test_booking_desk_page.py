"""Booking at the help desk: a signed-in clerk books for a citizen without a phone."""

from flask.testing import FlaskClient

from broker.bookings import BookingDesk, BookingSource
from tests.booking_web_fixtures import DAY, NIK, SERVICE, SLOT, code_in
from tests.web_fixtures import Login

FORM = f"/bookings/{SERVICE}/{DAY.isoformat()}/{SLOT:%H%M}"


def test_a_clerk_books_for_a_citizen_and_shows_the_code_large(
    client: FlaskClient, login: Login, bookings_on: BookingDesk
) -> None:
    # GIVEN a clerk signed in at the console
    login("siti")
    token = login.csrf()
    # WHEN she books service A for a citizen without a phone
    fields = {"name": "Pak Darto", "nik": NIK, "phone": "", "csrf_token": token}
    assert client.post(FORM, data={**fields, "step": "check"}).status_code == 200
    done = client.post(FORM, data={**fields, "step": "confirm"}, follow_redirects=True)
    # THEN the code and its QR are shown in the console's layout, with a print button
    html = done.get_data(as_text=True)
    code = code_in(html)
    assert done.status_code == 200
    assert "<svg" in html
    assert 'id="print"' in html
    assert NIK not in html
    # AND the booking is the staff's, under her name
    kept = bookings_on.find(code)
    assert kept is not None
    assert kept.source is BookingSource.STAFF
    assert bookings_on.store.events()[-1].actor == "web:siti"


def test_the_help_desk_needs_a_signed_in_user(
    client: FlaskClient, bookings_on: BookingDesk
) -> None:
    response = client.get(f"/bookings/{SERVICE}/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
