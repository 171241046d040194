"""The public booking flow clicked through in a real browser (Debian's Chromium, driven by
Playwright) on a phone-sized screen with script turned off, against the console served
by uvicorn on its public listener."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from broker.bookings import BookingDesk, BookingState
from tests.booking_web_fixtures import DAY, NIK, SERVICE, SLOT, Served
from tests.browser_fixtures import SCREENSHOTS

PHONE = ViewportSize(width=360, height=640)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A small phone's screen, touch, and no script at all (the pages must not need it)."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def save(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("ANTRE_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, SCREENSHOTS / name)


def fits_the_screen(page: Page) -> bool:
    """Nothing wider than the phone: no sideways scrolling. Measured through a locator, which
    waits for the page a click is still loading instead of reading a document mid-swap."""
    width = page.locator("html").evaluate("root => root.scrollWidth")
    return isinstance(width, int) and width <= PHONE["width"]


def test_a_citizen_books_on_a_phone_sees_the_code_and_qr_then_cancels(
    phone: Page, served: Served, bookings_on: BookingDesk, tmp_path: Path
) -> None:
    # GIVEN the public booking pages, at 09:00 on the test Monday
    phone.goto(f"{served.public}/b/")
    # WHEN a citizen taps the service, the date and the 10:00 slot
    phone.get_by_role("link", name="Paspor (permohonan baru dan penggantian)").click()
    phone.get_by_role("link", name="Senin, 30 November 2026").click()
    expect(phone.locator("#slots")).not_to_contain_text("08:45")
    phone.get_by_role("link", name=f"{SLOT:%H:%M}").click()
    expect(phone.locator("#name")).to_be_visible()
    assert fits_the_screen(phone)
    # AND types a NIK one digit short
    phone.fill("#name", "Siti Aminah")
    phone.fill("#nik", NIK[:-1])
    phone.fill("#phone", "0812 3456 7890")
    phone.click("#next")
    # THEN the form says what is wrong, keeping what was typed
    expect(phone.locator("#nik-error")).to_contain_text("NIK harus 16 angka")
    expect(phone.locator("#name")).to_have_value("Siti Aminah")
    # WHEN the NIK is corrected, checked and confirmed
    phone.fill("#nik", NIK)
    phone.click("#next")
    expect(phone.locator("#confirm-nik")).to_have_text("••••••••••••" + NIK[-4:])
    phone.click("#confirm")
    # THEN the code is shown large and spaced, with its QR, the day and the window
    expect(phone.locator("#done")).to_have_text("Booking berhasil")
    code = phone.locator("#code").get_attribute("data-code")
    assert code is not None
    assert code.startswith(f"{SERVICE}-")
    expect(phone.locator("#code")).to_have_text(f"{code[:5]} {code[5:]}")
    expect(phone.locator("#qr svg")).to_be_visible()
    expect(phone.locator("#booking-day")).to_have_text("Senin, 30 November 2026")
    expect(phone.locator("#window")).to_contain_text("09:30 sampai 10:15")
    assert NIK not in phone.content()
    assert fits_the_screen(phone)
    save(phone, tmp_path, "booking-phone.png")
    kept = bookings_on.find(code)
    assert kept is not None
    assert (kept.day, kept.slot, kept.state) == (DAY, SLOT, BookingState.BOOKED)
    # WHEN they open it again by code and NIK and cancel it
    phone.get_by_role("link", name="Batalkan atau pindah booking").click()
    phone.fill("#code", code.lower())
    phone.fill("#nik", NIK)
    phone.click("#open")
    expect(phone.locator("#booking-state")).to_have_text("Terdaftar")
    phone.click("#cancel")
    # THEN the page says so and the booking is cancelled
    expect(phone.locator("#message")).to_contain_text(f"Booking {code} dibatalkan")
    expect(phone.locator("#booking-state")).to_have_text("Dibatalkan")
    cancelled = bookings_on.find(code)
    assert cancelled is not None
    assert cancelled.state is BookingState.CANCELLED


def test_the_staff_pages_are_not_on_the_public_listener(
    phone: Page, served: Served, bookings_on: BookingDesk
) -> None:
    # WHEN a phone on the guest Wi-Fi tries the help desk's booking or the import page
    for path in ("/bookings/", "/booking-import/", "/api/v1/bookings"):
        response = phone.goto(f"{served.public}{path}")
        # THEN the public listener does not serve them
        assert response is not None
        assert response.status == 404
