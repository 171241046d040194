"""The site configuration: the Samarinda example, and how broken files are reported."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from msgspec.structs import replace

from contract.errors import ConfigError
from contract.site import Site
from contract.site_from_csv import main as site_from_csv
from contract.site_loader import load_site, parse_site

EXAMPLE = Path(__file__).parent.parent / "examples" / "samarinda" / "site.toml"
CATALOGUE = EXAMPLE.parent / "services.csv"
A_MONDAY = dt.date(2026, 12, 7)

# A small valid site; each broken copy below changes one thing in it.
SMALL_SITE = """
[site]
id = "uji"
name = "MPP Uji"
timezone = "Asia/Makassar"

[[agencies]]
id = "disdukcapil"
name = "Disdukcapil"

[[agencies]]
id = "dpmptsp"
name = "DPMPTSP"

[[schedules]]
id = "kerja"
mon = ["08:00-12:00", "13:00-15:00"]
fri = ["08:00-11:30", "13:30-15:00"]

[[schedules]]
id = "sabtu"
sat = ["08:00-12:00"]

[[services]]
prefix = "A"
name = "KTP elektronik"
agency = "disdukcapil"
schedule = "kerja"
daily_quota = 100

[[services]]
prefix = "B"
name = "Perizinan berusaha"
agency = "dpmptsp"
schedule = "sabtu"

[[counters]]
number = 1
services = ["A"]

[[counters]]
number = 2
services = ["B"]

[[kiosks]]
id = "kiosk-1"
priority_button_pin = 20
buttons = [
    { service = "A", pin = 2, led_pin = 3 },
    { service = "B", pin = 4, led_pin = 5 },
]

[kiosks.printer]
type = "dummy"
width_mm = 58

[[displays]]
id = "display-1"
services = ["A", "B"]
"""


def broken(old: str, new: str) -> str:
    """SMALL_SITE with its one occurrence of `old` replaced by `new`."""
    assert SMALL_SITE.count(old) == 1, f"{old!r} must occur exactly once in SMALL_SITE"
    return SMALL_SITE.replace(old, new)


@pytest.fixture(scope="module")
def example() -> Site:
    return load_site(EXAMPLE)


@pytest.fixture(scope="module")
def catalogue() -> list[dict[str, str]]:
    with CATALOGUE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- the example site ---------------------------------------------------------------------


def test_the_small_site_of_this_module_is_valid() -> None:
    """GIVEN the unbroken small site WHEN parsed THEN it loads, so each broken copy fails
    for the one change it makes."""
    site = parse_site(SMALL_SITE)
    assert [service.prefix for service in site.services] == ["A", "B"]
    assert site.kiosks[0].printer.line_columns == 32


def test_example_site_loads(example: Site) -> None:
    """GIVEN examples/samarinda/site.toml WHEN loaded THEN it is the Samarinda site in WITA."""
    assert example.site.id == "samarinda"
    assert example.site.name == "Mal Pelayanan Publik Kota Samarinda"
    assert example.site.timezone.key == "Asia/Makassar"
    assert example.site.holidays == [dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
    assert (example.priority.priority_calls, example.priority.regular_calls) == (2, 1)


def test_example_has_every_csv_service_in_order(
    example: Site, catalogue: list[dict[str, str]]
) -> None:
    """GIVEN the catalogue CSV WHEN compared with the example THEN the 24 prefixes, names
    and agencies match, row by row."""
    assert len(example.services) == 24
    assert [s.prefix for s in example.services] == [row["prefix"] for row in catalogue]
    for service, row in zip(example.services, catalogue, strict=True):
        assert service.name == row["service"]
        assert example.agencies_by_id[service.agency].name == row["agency"]


def test_example_quotas_match_the_csv(example: Site, catalogue: list[dict[str, str]]) -> None:
    """GIVEN the CSV's daily_quota (empty = unlimited) THEN the example has the same quota."""
    for row in catalogue:
        expected = int(row["daily_quota"]) if row["daily_quota"] else None
        assert example.services_by_prefix[row["prefix"]].daily_quota == expected, row["prefix"]
    assert example.services_by_prefix["A"].daily_quota == 60
    assert example.services_by_prefix["D"].daily_quota is None


def test_example_counters_serve_what_the_csv_says(
    example: Site, catalogue: list[dict[str, str]]
) -> None:
    """GIVEN the CSV's counters column WHEN asking which counters serve each service
    THEN counters_serving gives exactly those counter numbers."""
    for row in catalogue:
        expected = [int(n) for n in row["counters"].split(",")]
        served_by = [c.number for c in example.counters_serving(row["prefix"])]
        assert served_by == expected, row["prefix"]
    # Shared counters: loket 12 and 13 call both Disdukcapil services.
    assert example.counters_by_number[12].services == ["H", "I"]
    assert example.counters_by_number[21].services == ["P", "Q"]


def test_example_monday_hours_match_the_csv(example: Site, catalogue: list[dict[str, str]]) -> None:
    """GIVEN the CSV's opens/closes WHEN reading Monday's periods THEN the day starts at opens,
    ends at closes and breaks for ishoma 12:00-13:00."""
    for row in catalogue:
        periods = example.schedule_of(example.services_by_prefix[row["prefix"]]).periods_on(
            A_MONDAY
        )
        assert [str(p) for p in periods] == [
            f"{row['opens']}-12:00",
            f"13:00-{row['closes']}",
        ], row["prefix"]


def test_example_friday_has_the_prayer_break_and_weekend_is_closed(example: Site) -> None:
    """GIVEN a 08:00-15:00 service THEN Friday breaks 11:30-13:30 and Sat/Sun have no periods."""
    schedule = example.schedule_of(example.services_by_prefix["D"])
    assert [str(p) for p in schedule.fri] == ["08:00-11:30", "13:30-15:00"]
    assert schedule.sat == []
    assert schedule.sun == []


def test_example_agrees_with_the_generator(tmp_path: Path, example: Site) -> None:
    """GIVEN the CSV copy in the repo WHEN regenerated THEN the generated parts of the example
    (agencies, schedules, services, counters) are what the generator writes today; the
    services' booking tables are added by hand."""
    out = tmp_path / "site.toml"
    assert site_from_csv([str(CATALOGUE), "--site-id", "samarinda", "-o", str(out)]) == 0
    generated = load_site(out)
    assert generated.agencies == example.agencies
    assert generated.schedules == example.schedules
    assert generated.services == [replace(s, booking=None) for s in example.services]
    assert generated.counters == example.counters


def test_example_kiosks_cover_every_service_once(example: Site) -> None:
    """GIVEN the two kiosks THEN kiosk-1 has A..L and kiosk-2 M..X, each on pins 2..27 once."""
    kiosk_1, kiosk_2 = example.kiosks
    assert [b.service for b in kiosk_1.buttons] == list("ABCDEFGHIJKL")
    assert [b.service for b in kiosk_2.buttons] == list("MNOPQRSTUVWX")
    for kiosk in example.kiosks:
        pins = sorted(pin for _, pin in kiosk.pins())
        assert pins == list(range(2, 28)), kiosk.id
    assert kiosk_1.printer.type == "file"
    assert kiosk_1.printer.path == "/tmp/antre-kiosk-1.bin"
    assert kiosk_1.printer.line_columns == 48
    assert kiosk_2.printer.type == "dummy"
    assert kiosk_2.printer.width_mm == 58
    assert not kiosk_2.printer.has_cutter


def test_example_displays(example: Site) -> None:
    """GIVEN the displays THEN the lobby shows every service and the Disdukcapil one H and I."""
    by_id = {display.id: display for display in example.displays}
    assert by_id["display-lobby"].services == []  # empty: all services
    assert by_id["display-disdukcapil"].services == ["H", "I"]


# --- broken copies of the small site --------------------------------------------------------

BROKEN = [
    pytest.param(
        "daily_quota = 100",
        "dailyquota = 100",
        "services[0].dailyquota",
        "unknown field `dailyquota`",
        id="misspelt-key",
    ),
    pytest.param(
        "daily_quota = 100",
        'daily_quota = "100"',
        "services[0].daily_quota",
        "got `str`",
        id="wrong-type",
    ),
    pytest.param(
        "daily_quota = 100",
        "daily_quota = 0",
        "services[0].daily_quota",
        ">= 1",
        id="quota-zero",
    ),
    pytest.param(
        'prefix = "B"',
        'prefix = "A"',
        "services[1].prefix",
        "prefix 'A' is already used by services[0].prefix",
        id="duplicate-prefix",
    ),
    pytest.param(
        'services = ["B"]',
        'services = ["B", "Z"]',
        "counters[1].services[1]",
        "unknown service 'Z'",
        id="counter-serves-unknown-service",
    ),
    pytest.param(
        '{ service = "B", pin = 4, led_pin = 5 }',
        '{ service = "B", pin = 4, led_pin = 3 }',
        "kiosks[0].buttons[1].led_pin",
        "pin 3 is already used by kiosks[0].buttons[0].led_pin",
        id="pin-used-twice",
    ),
    pytest.param(
        'timezone = "Asia/Makassar"',
        'timezone = "Asia/Samarinda"',
        "site.timezone",
        "unknown time zone 'Asia/Samarinda'",
        id="unknown-time-zone",
    ),
    pytest.param(
        '"08:00-12:00", "13:00-15:00"',
        '"8-12", "13:00-15:00"',
        "schedules[0].mon[0]",
        "is not a time like '08:00'",
        id="bad-period-text",
    ),
    pytest.param(
        '"08:00-12:00", "13:00-15:00"',
        '"08:00-12:00", "11:00-15:00"',
        "schedules[0].mon[1]",
        "must not overlap",
        id="overlapping-periods",
    ),
    pytest.param(
        'services = ["B"]',
        'services = ["A"]',
        "services[1]",
        "no counter serves service 'B'",
        id="service-without-counter",
    ),
    pytest.param(
        'agency = "dpmptsp"',
        'agency = "dukcapil"',
        "services[1].agency",
        "unknown agency 'dukcapil'",
        id="unknown-agency",
    ),
    pytest.param(
        'schedule = "sabtu"',
        'schedule = "minggu"',
        "services[1].schedule",
        "unknown schedule 'minggu'",
        id="unknown-schedule",
    ),
    pytest.param(
        'type = "dummy"',
        'type = "usb"\nusb_product_id = 0x0202',
        "kiosks[0].printer.usb_vendor_id",
        "a usb printer needs usb_vendor_id",
        id="usb-printer-without-vendor-id",
    ),
    pytest.param(
        'id = "display-1"',
        'id = "kiosk-1"',
        "displays[0].id",
        "device id 'kiosk-1' is already used by kiosks[0].id",
        id="device-id-of-kiosk-and-display",
    ),
    pytest.param(
        'name = "MPP Uji"',
        'name = "MPP Uji',
        "",
        "not valid TOML",
        id="toml-syntax-error",
    ),
    pytest.param(
        '[site]\nid = "uji"\nname = "MPP Uji"\ntimezone = "Asia/Makassar"\n',
        "",
        "site",
        "missing required field `site`",
        id="missing-site-table",
    ),
    pytest.param(
        "pin = 2,",
        "pin = 28,",
        "kiosks[0].buttons[0].pin",
        "<= 27",
        id="pin-beyond-bcm-27",
    ),
]


# --- the [hub] section ----------------------------------------------------------------------

HUB = """
[hub]
host = "hub.kaltim.example.id"
ca_file = "/etc/antre/hub-ca.crt"
credentials = "/etc/antre/hub-credentials.toml"
"""


def test_a_hub_section_loads_with_its_defaults() -> None:
    """GIVEN the small site with a [hub] naming only host and files WHEN parsed THEN TLS's
    port, a 30 s resend and enabled are taken, and the central would send."""
    site = parse_site(SMALL_SITE + HUB, source="uji.toml")
    assert site.hub is not None
    assert (site.hub.port, site.hub.resend_seconds, site.hub.enabled) == (8883, 30.0, True)
    assert site.enabled_hub is site.hub


def test_a_disabled_hub_section_is_no_link() -> None:
    site = parse_site(SMALL_SITE + HUB + "enabled = false\n", source="uji.toml")
    assert site.hub is not None
    assert site.enabled_hub is None
    assert parse_site(SMALL_SITE, source="uji.toml").enabled_hub is None


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ('credentials = "/etc/antre/hub-credentials.toml"\n', "", "hub.credentials", "missing"),
        ('"/etc/antre/hub-ca.crt"', '"hub-ca.crt"', "hub.ca_file", "absolute path"),
        ('host = "hub.kaltim.example.id"', 'host = "hub kaltim"', "hub.host", "matching regex"),
        ("[hub]\n", "[hub]\nport = 0\n", "hub.port", ">= 1"),
        ("[hub]\n", "[hub]\nresend_seconds = 0.1\n", "hub.resend_seconds", ">= 1"),
        ("[hub]\n", "[hub]\nusername = 'x'\n", "hub.username", "unknown field"),
    ],
)
def test_a_broken_hub_section_is_refused_naming_the_key(
    old: str, new: str, key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_site(SMALL_SITE + HUB.replace(old, new), source="uji.toml")
    assert caught.value.key == key
    assert problem in caught.value.problem


@pytest.mark.parametrize(("old", "new", "key", "problem"), BROKEN)
def test_broken_site_is_refused_naming_the_key(old: str, new: str, key: str, problem: str) -> None:
    """GIVEN a copy of the small site with one mistake WHEN parsed THEN a ConfigError names
    the key at fault and says what is wrong."""
    with pytest.raises(ConfigError) as caught:
        parse_site(broken(old, new), source="uji.toml")
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"uji.toml: {key}: " if key else "uji.toml: ")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """GIVEN no file WHEN loaded THEN a ConfigError names the file (no key)."""
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_site(missing)
    assert caught.value.key == ""
    assert caught.value.source == str(missing)
    assert "cannot read the file" in caught.value.problem
