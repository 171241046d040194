"""A manager edits a service's booking rules live: checked like the site file, in effect
at once, and put back as the file has them."""

import html
from typing import Any

from flask.testing import FlaskClient

from broker.site_overrides import SETTING, load_overrides
from broker.web.admin.service_bookings import booking_values
from broker.web.context import WebContext
from contract.site import Site
from tests.web_fixtures import Login


def post(client: FlaskClient, login: Login, path: str, data: dict[str, Any]) -> tuple[int, str]:
    response = client.post(path, data={**data, "csrf_token": login.csrf()})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def passport_form(example_site: Site, **changes: str) -> dict[str, str]:
    """Service A's booking form as the page fills it, with `changes`."""
    return {**booking_values(example_site.services_by_prefix["A"].booking), **changes}


def test_the_edit_page_shows_the_booking_rules(
    client: FlaskClient, login: Login, example_site: Site
) -> None:
    """GIVEN Paspor's bookings in the site file WHEN a manager opens its edit page THEN the
    booking card shows them, ticked, Monday's sessions as written in the file."""
    login("manajer")
    page = html.unescape(client.get("/admin/services/A").get_data(as_text=True))
    assert 'name="takes_bookings" value="on"\n      checked' in page
    assert 'value="08:00-10:00/20, 10:00-12:00/20"' in page
    assert 'name="kept_for_bookings" value="0"' in page
    assert "Simpan aturan booking" in page


def test_a_manager_changes_the_rules_and_they_apply_at_once(
    client: FlaskClient, login: Login, web_ctx: WebContext, example_site: Site
) -> None:
    """GIVEN Paspor taking the late as walk-ins WHEN a manager sets "refuse" and one
    Monday session THEN the live site and the queue have it, and it is saved as one
    override of the booking rules; the reset puts the file's back."""
    login("manajer")
    form = passport_form(example_site, late="refuse", sessions_mon="08:00-10:00/20")
    status, _ = post(client, login, "/admin/services/A/booking", form)
    assert status == 302
    rules = web_ctx.site.services_by_prefix["A"].booking
    assert rules is not None
    assert (rules.late, [str(s) for s in rules.sessions.mon]) == ("refuse", ["08:00-10:00/20"])
    assert web_ctx.queue.engine.site.services_by_prefix["A"].booking == rules
    saved = load_overrides(web_ctx.queue.setting(SETTING))
    assert list(saved.services["A"].fields()) == ["booking"]
    reset, _ = post(client, login, "/admin/services/A/booking/reset", {})
    assert reset == 302
    assert (
        web_ctx.site.services_by_prefix["A"].booking == example_site.services_by_prefix["A"].booking
    )


def test_bookings_are_turned_off_by_unticking(
    client: FlaskClient, login: Login, web_ctx: WebContext, example_site: Site
) -> None:
    """GIVEN Paspor's bookings WHEN the box is unticked and saved THEN it takes none."""
    login("manajer")
    form = passport_form(example_site)
    del form["takes_bookings"]
    status, _ = post(client, login, "/admin/services/A/booking", form)
    assert status == 302
    assert web_ctx.site.services_by_prefix["A"].booking is None


def test_a_bad_session_is_said_and_nothing_changes(
    client: FlaskClient, login: Login, web_ctx: WebContext, example_site: Site
) -> None:
    """GIVEN a session without its capacity, then one outside the opening hours WHEN saved
    THEN each is refused with words saying what is wrong, and the site is as before."""
    login("manajer")
    before = web_ctx.site
    status, page = post(
        client,
        login,
        "/admin/services/A/booking",
        passport_form(example_site, sessions_mon="08:00-10:00"),
    )
    assert status == 400
    assert '"08:00-10:00" bukan sesi seperti 08:00-10:00/20' in page
    status, page = post(
        client,
        login,
        "/admin/services/A/booking",
        passport_form(example_site, sessions_mon="15:00-16:00/5"),
    )
    assert status == 400
    assert "outside the opening hours" in page
    assert web_ctx.site is before
    assert web_ctx.queue.setting(SETTING) is None


def test_a_clerk_cannot_edit_the_booking_rules(
    client: FlaskClient, login: Login, example_site: Site
) -> None:
    """GIVEN a clerk WHEN she posts the booking form THEN forbidden."""
    login("siti")
    status, _ = post(client, login, "/admin/services/A/booking", passport_form(example_site))
    assert status == 403


def test_hours_that_would_cut_the_booking_sessions_are_refused(
    client: FlaskClient, login: Login, web_ctx: WebContext
) -> None:
    """GIVEN Paspor's Monday sessions 08:00-12:00 WHEN a manager closes its schedule at 09:00
    on Mondays THEN refused, naming the session that would fall outside; nothing changes."""
    login("manajer")
    before = web_ctx.site
    status, page = post(client, login, "/admin/services/A/hours", {"mon": "07:00-09:00"})
    assert status == 400
    assert "services[0].booking.sessions.mon[0]" in page
    assert "outside the opening hours (07:00-09:00)" in page
    assert web_ctx.site is before
