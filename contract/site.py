"""The site configuration model: one TOML file describes one MPP.

Every role reads the same file: the central for its queue rules, a kiosk for its
buttons and printer, a display for the services it shows. The model is typed and
frozen; `contract.site_loader` builds it and checks what a type cannot say.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta, Struct

from contract.site_bookings import BookingRules, Session
from contract.site_types import WEEKDAYS as WEEKDAYS
from contract.site_types import Identifier as Identifier
from contract.site_types import Minutes as Minutes
from contract.site_types import Name as Name
from contract.site_types import Period as Period
from contract.site_types import Pin as Pin
from contract.site_types import PositiveInt as PositiveInt
from contract.site_types import Prefix as Prefix


class _Config(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, dict=True):
    """Base of every config table: frozen, and a misspelt key is an error."""


class SiteInfo(_Config, frozen=True):
    """Who and where the site is."""

    id: Identifier
    name: Name
    timezone: ZoneInfo
    # National and local holidays: every service is closed on these dates.
    holidays: list[dt.date] = []
    # Base of the public ticket page the QR code on a ticket leads to.
    ticket_url_base: str = "http://antre.local/t/"


class PriorityPolicy(_Config, frozen=True):
    """How priority tickets (elderly, disabled, pregnant, small children) are interleaved.

    A counter calls at most `priority_calls` priority tickets in a row while a regular
    ticket waits, then `regular_calls` regular ones, so nobody starves.
    """

    priority_calls: PositiveInt = 2
    regular_calls: PositiveInt = 1


class QueueRules(_Config, frozen=True):
    """Site-wide queue rules."""

    # A skipped (no-show) ticket can be brought back within this many minutes.
    no_show_grace_minutes: Minutes = 30
    # How many recent service times feed the wait estimate.
    estimate_window: PositiveInt = 10


class Agency(_Config, frozen=True):
    """A government office or company with counters in the mall."""

    id: Identifier
    name: Name


class Schedule(_Config, frozen=True):
    """Weekly opening hours: periods per weekday; a gap between periods is a break."""

    id: Identifier
    mon: list[Period] = []
    tue: list[Period] = []
    wed: list[Period] = []
    thu: list[Period] = []
    fri: list[Period] = []
    sat: list[Period] = []
    sun: list[Period] = []

    def periods_on(self, day: dt.date) -> list[Period]:
        """The opening periods on that date's weekday, in order."""
        periods: list[Period] = getattr(self, WEEKDAYS[day.weekday()])
        return periods


class Service(_Config, frozen=True):
    """One service the citizen chooses with one button, numbered by its prefix."""

    prefix: Prefix
    name: Name
    agency: Identifier
    schedule: Identifier
    name_en: str = ""
    # No more tickets than this a day; none means unlimited.
    daily_quota: PositiveInt | None = None
    # No ticket is issued in the last minutes before the day's closing.
    cutoff_minutes: Minutes = 30
    # Closed on these dates too, besides the site's holidays.
    holidays: list[dt.date] = []
    # The wait estimate's guess until real service times are known.
    expected_service_minutes: Annotated[float, Meta(gt=0, le=240)] = 10.0
    # Bookings (appointments), see `contract.site_bookings`; none: walk-ins only.
    booking: BookingRules | None = None


class Counter(_Config, frozen=True):
    """A counter (loket) and the services its clerk serves."""

    number: PositiveInt
    services: list[Prefix]
    name: str = ""

    @property
    def display_name(self) -> str:
        return self.name or f"Loket {self.number}"


class Printer(_Config, frozen=True):
    """A kiosk's ESC/POS thermal printer: how to reach it and what paper it takes."""

    type: Literal["usb", "serial", "network", "file", "dummy"]
    width_mm: Literal[58, 80] = 80
    # Characters per line; 80 mm printers take 42-48, 58 mm printers 32.
    columns: Annotated[int, Meta(ge=24, le=64)] | None = None
    # Many 58 mm printers have neither a cutter nor a native QR code command.
    cutter: bool | None = None
    native_qr: bool | None = None
    usb_vendor_id: int | None = None
    usb_product_id: int | None = None
    serial_device: str | None = None
    baudrate: PositiveInt = 9600
    host: str | None = None
    port: Annotated[int, Meta(ge=1, le=65535)] = 9100
    path: str | None = None
    # While idle the kiosk asks the printer how it is this often (seconds), so a roll
    # that runs out in a quiet hall shows on the LEDs and the devices page first.
    check_seconds: Annotated[float, Meta(ge=0.5, le=600)] = 5.0

    @property
    def line_columns(self) -> int:
        return self.columns or (48 if self.width_mm == 80 else 32)

    @property
    def has_cutter(self) -> bool:
        return self.cutter if self.cutter is not None else self.width_mm == 80

    @property
    def has_native_qr(self) -> bool:
        return self.native_qr if self.native_qr is not None else self.width_mm == 80

    def missing_connection_keys(self) -> list[str]:
        """The keys this printer type needs that are not set."""
        needed = {
            "usb": ("usb_vendor_id", "usb_product_id"),
            "serial": ("serial_device",),
            "network": ("host",),
            "file": ("path",),
            "dummy": (),
        }[self.type]
        return [key for key in needed if getattr(self, key) is None]


class KioskButton(_Config, frozen=True):
    """One physical service button and the LED beside it."""

    service: Prefix
    pin: Pin
    led_pin: Pin | None = None


class Scanner(_Config, frozen=True):
    """A kiosk's QR and barcode scanner, for booked citizens' check-in codes.

    `serial`: a scanner that appears as a serial port (USB CDC-ACM, `/dev/ttyACM0`) and
    sends each code as a line. `keyboard`: a USB scanner that types like a keyboard,
    read from its kernel input device (`/dev/input/by-id/...-event-kbd`), grabbed so its
    keystrokes reach nothing else on the Pi.
    """

    type: Literal["serial", "keyboard"]
    device: Annotated[str, Meta(min_length=1, max_length=200)]
    # serial only: the line speed (9600 when not set).
    baud: PositiveInt | None = None
    # keyboard only: take the device for the kiosk alone (EVIOCGRAB; true when not set).
    grab: bool | None = None
    # A missing or failed scanner is opened again this often (seconds).
    retry_seconds: Annotated[float, Meta(ge=0.1, le=600)] = 5.0

    @property
    def baud_rate(self) -> int:
        return self.baud if self.baud is not None else 9600

    @property
    def grabs(self) -> bool:
        return self.grab if self.grab is not None else True


class Kiosk(_Config, frozen=True):
    """A ticket kiosk: buttons, lights, a printer and, optionally, a scanner."""

    id: Identifier
    printer: Printer
    buttons: list[KioskButton]
    name: str = ""
    # Press this, then a service button, for a priority ticket.
    priority_button_pin: Pin | None = None
    priority_led_pin: Pin | None = None
    buzzer_pin: Pin | None = None
    # One press gives one ticket: presses within this time of the last are ignored.
    cooldown_seconds: Annotated[float, Meta(ge=0, le=60)] = 3.0
    # Booked citizens scan their booking code here; none: the kiosk has no scanner.
    scanner: Scanner | None = None

    def pins(self) -> list[tuple[str, int]]:
        """Every pin in use with the key that uses it."""
        used = [
            (f"buttons[{i}].{key}", pin)
            for i, button in enumerate(self.buttons)
            for key, pin in (("pin", button.pin), ("led_pin", button.led_pin))
            if pin is not None
        ]
        for key in ("priority_button_pin", "priority_led_pin", "buzzer_pin"):
            pin = getattr(self, key)
            if pin is not None:
                used.append((key, pin))
        return used


class Display(_Config, frozen=True):
    """A lobby display: which services it shows (all when the list is empty)."""

    id: Identifier
    name: str = ""
    services: list[Prefix] = []
    # Announce in English too, after the Indonesian.
    english: bool = False


class SurveyUnit(_Config, frozen=True):
    """A satisfaction survey unit: four buttons at one counter or between neighbouring ones.

    A press is tied to the ticket its counters finished last, within `window_minutes`.
    Each button may have an LED beside it, lit for a moment as thanks.
    """

    id: Identifier
    # The counters it serves (their numbers).
    counters: list[PositiveInt]
    # 4 sangat puas, 3 puas, 2 kurang puas, 1 tidak puas.
    very_satisfied_pin: Pin
    satisfied_pin: Pin
    dissatisfied_pin: Pin
    very_dissatisfied_pin: Pin
    very_satisfied_led_pin: Pin | None = None
    satisfied_led_pin: Pin | None = None
    dissatisfied_led_pin: Pin | None = None
    very_dissatisfied_led_pin: Pin | None = None
    name: str = ""
    window_minutes: Annotated[int, Meta(ge=1, le=120)] = 5
    # One press per citizen: presses within this time of the last are ignored.
    cooldown_seconds: Annotated[float, Meta(ge=0, le=60)] = 2.0

    def buttons(self) -> list[tuple[int, str, int, int | None]]:
        """(rating, key, pin, LED pin) of each button, from 4 (sangat puas) down to 1."""
        return [
            (rating, f"{key}_pin", getattr(self, f"{key}_pin"), getattr(self, f"{key}_led_pin"))
            for rating, key in SURVEY_BUTTON_KEYS
        ]

    def pins(self) -> list[tuple[str, int]]:
        """Every pin in use with the key that uses it."""
        used: list[tuple[str, int]] = []
        for _, key, pin, led_pin in self.buttons():
            used.append((key, pin))
            if led_pin is not None:
                used.append((key.removesuffix("_pin") + "_led_pin", led_pin))
        return used


# The survey unit's buttons: (rating, key stem), best first.
SURVEY_BUTTON_KEYS = (
    (4, "very_satisfied"),
    (3, "satisfied"),
    (2, "dissatisfied"),
    (1, "very_dissatisfied"),
)


class HubConnection(_Config, frozen=True):
    """The region's hub this site sends its history to (`contract.hub_stream`).

    The site's Mosquitto bridges the site's two hub topics to the hub's broker over TLS
    (`antre-provision` writes the bridge); the central sends its records and resends
    from the hub's acknowledgement.
    """

    # The hub's MQTT broker, as the site reaches it.
    host: Annotated[str, Meta(min_length=1, max_length=253, pattern=r"^[^\s\"]+$")]
    # The CA certificate (PEM) that signed the hub broker's certificate.
    ca_file: Annotated[str, Meta(min_length=1)]
    # The site's credential on the hub (username, password), from the hub's administrator.
    credentials: Annotated[str, Meta(min_length=1)]
    port: Annotated[int, Meta(ge=1, le=65535)] = 8883
    # With no acknowledgement advancing this long, the central sends again from the last.
    resend_seconds: Annotated[float, Meta(ge=1, le=3600)] = 30.0
    # False keeps the section but sends nothing: the central behaves as with none.
    enabled: bool = True


class Site(_Config, frozen=True):
    """A whole site configuration file."""

    site: SiteInfo
    agencies: list[Agency]
    schedules: list[Schedule]
    services: list[Service]
    counters: list[Counter]
    priority: PriorityPolicy = PriorityPolicy()
    queue: QueueRules = QueueRules()
    kiosks: list[Kiosk] = []
    displays: list[Display] = []
    survey_units: list[SurveyUnit] = []
    hub: HubConnection | None = None

    @cached_property
    def enabled_hub(self) -> HubConnection | None:
        """The hub section when it is enabled: the central sends only then."""
        return self.hub if self.hub is not None and self.hub.enabled else None

    @cached_property
    def services_by_prefix(self) -> dict[str, Service]:
        return {service.prefix: service for service in self.services}

    @cached_property
    def counters_by_number(self) -> dict[int, Counter]:
        return {counter.number: counter for counter in self.counters}

    @cached_property
    def schedules_by_id(self) -> dict[str, Schedule]:
        return {schedule.id: schedule for schedule in self.schedules}

    @cached_property
    def agencies_by_id(self) -> dict[str, Agency]:
        return {agency.id: agency for agency in self.agencies}

    def counters_serving(self, prefix: str) -> list[Counter]:
        """The counters that serve a service.

        Counters name their services, not the other way round, so the two can never
        disagree; this is the derived view.
        """
        return [counter for counter in self.counters if prefix in counter.services]

    def schedule_of(self, service: Service) -> Schedule:
        return self.schedules_by_id[service.schedule]


def decode_hook(type_: type, value: object) -> object:
    """Builds the field types msgspec does not know from their TOML text."""
    if type_ is Period:
        return Period.parse(value)
    if type_ is Session:
        return Session.parse(value)
    if type_ is ZoneInfo:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a time zone name like 'Asia/Makassar'")
        try:
            return ZoneInfo(value)
        except (ValueError, KeyError) as e:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {value!r} (try 'Asia/Makassar')") from e
    raise NotImplementedError(f"no decoder for {type_}")


def encode_hook(value: object) -> object:
    """The inverse of `decode_hook`, for writing a site back out."""
    if isinstance(value, Period | Session):
        return str(value)
    if isinstance(value, ZoneInfo):
        return value.key
    raise NotImplementedError(f"cannot encode {type(value)}")


def site_from_mapping(data: dict[str, object]) -> Site:
    """Types a parsed TOML document; raises msgspec.ValidationError with the path."""
    return msgspec.convert(data, type=Site, dec_hook=decode_hook)
