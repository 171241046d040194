"""The two command-line tools: antre-check-config and antre-site-from-csv."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from contract.check_config import main as check_config
from contract.site_from_csv import main as site_from_csv
from contract.site_from_csv import slugify
from contract.site_loader import load_site, parse_site
from contract.toml_text import toml_string

EXAMPLE = Path(__file__).parent.parent / "examples" / "samarinda" / "site.toml"
CATALOGUE = EXAMPLE.parent / "services.csv"
PREFIXES = [chr(c) for c in range(ord("A"), ord("X") + 1)]
HEADER = "prefix,agency,service,daily_quota,counters,opens,closes\n"


# --- antre-check-config -----------------------------------------------------------------------


def test_check_config_summarises_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the example site WHEN checked THEN exit 0 and the summary names the site, its
    counts and one line per service with agency, quota (and bookings) and counters."""
    assert check_config([str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "Mal Pelayanan Publik Kota Samarinda" in out
    assert "samarinda" in out
    assert "Asia/Makassar" in out
    assert "24 services, 26 counters, 2 kiosks, 2 displays" in out
    service_lines = [line for line in out.splitlines() if line[:1].isupper() and line[1:3] == "  "]
    assert [line[0] for line in service_lines] == PREFIXES
    line_a = service_lines[0]
    assert "Kantor Imigrasi" in line_a
    assert "kuota 60" in line_a
    assert line_a.endswith("loket 1, 2")
    assert "tanpa kuota" in service_lines[3]  # D has no quota
    # A and H take bookings, D does not
    assert "kuota 60/hari, booking" in line_a
    assert "kuota 200/hari, booking" in service_lines[7]
    assert "booking" not in service_lines[3]
    assert service_lines[8].endswith("loket 12, 13")  # I shares Disdukcapil's counters


def test_check_config_names_the_broken_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a copy of the example with a zero quota WHEN checked THEN exit 1 and stderr names
    the file and the key."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count("daily_quota = 60\n") == 1
    broken = tmp_path / "site.toml"
    broken.write_text(text.replace("daily_quota = 60\n", "daily_quota = 0\n"), encoding="utf-8")
    assert check_config([str(broken)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{broken}: services[0].daily_quota: ")


def test_check_config_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a path with no file WHEN checked THEN exit 1 with the reason on stderr."""
    assert check_config([str(tmp_path / "nope.toml")]) == 1
    assert "cannot read the file" in capsys.readouterr().err


# --- antre-site-from-csv -------------------------------------------------------------------------


def test_csv_output_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the catalogue CSV WHEN turned into a site file THEN load_site reads it back with
    the 24 services, and antre-check-config accepts it."""
    out = tmp_path / "site.toml"
    argv = [str(CATALOGUE), "--site-id", "uji", "--name", "MPP Uji", "--output", str(out)]
    assert site_from_csv(argv) == 0
    site = load_site(out)
    assert site.site.id == "uji"
    assert site.site.timezone.key == "Asia/Makassar"
    assert [s.prefix for s in site.services] == PREFIXES
    assert [c.number for c in site.counters] == list(range(1, 27))
    assert {s.id for s in site.schedules} == {"buka-0800-1400", "buka-0800-1500"}
    assert site.agencies_by_id["kantor-pelayanan-pajak-pratama"].name == (
        "Kantor Pelayanan Pajak Pratama"
    )
    capsys.readouterr()
    assert check_config([str(out)]) == 0


def test_csv_to_stdout_with_a_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN no --output WHEN generating THEN the TOML goes to stdout, with the given zone."""
    assert site_from_csv([str(CATALOGUE), "--timezone", "Asia/Jakarta"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("# Antre site configuration")
    assert parse_site(out).site.timezone.key == "Asia/Jakarta"


def write_csv(tmp_path: Path, body: str, header: str = HEADER) -> str:
    path = tmp_path / "services.csv"
    path.write_text(header + body, encoding="utf-8")
    return str(path)


def test_counters_list_services_in_csv_order_by_counter_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN rows naming counters out of order WHEN generated THEN there is one counter per
    number, ascending, each listing the prefixes whose row names it, named "Loket N"."""
    csv_path = write_csv(
        tmp_path,
        'A,Disdukcapil,KTP,,"3,1",08:00,15:00\nB,Disdukcapil,KK,,"1",08:00,15:00\n',
    )
    assert site_from_csv([csv_path]) == 0
    site = parse_site(capsys.readouterr().out)
    assert [(c.number, c.services, c.name) for c in site.counters] == [
        (1, ["A", "B"], "Loket 1"),
        (3, ["A"], "Loket 3"),
    ]
    assert [a.id for a in site.agencies] == ["disdukcapil"]


@pytest.mark.parametrize(
    ("opens", "closes", "monday", "friday"),
    [
        ("08:00", "15:00", ["08:00-12:00", "13:00-15:00"], ["08:00-11:30", "13:30-15:00"]),
        ("07:30", "13:30", ["07:30-12:00", "13:00-13:30"], ["07:30-11:30"]),
        ("08:00", "12:00", ["08:00-12:00"], ["08:00-11:30"]),
        ("13:00", "16:00", ["13:00-16:00"], ["13:30-16:00"]),
    ],
)
def test_schedule_breaks(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    opens: str,
    closes: str,
    monday: list[str],
    friday: list[str],
) -> None:
    """GIVEN opening hours WHEN generated THEN Mon-Thu break 12:00-13:00, Friday 11:30-13:30,
    an afternoon period that would be empty is dropped, and the weekend is closed."""
    assert site_from_csv([write_csv(tmp_path, f"A,PLN,Listrik,,1,{opens},{closes}\n")]) == 0
    site = parse_site(capsys.readouterr().out)
    (schedule,) = site.schedules
    assert schedule.id == f"buka-{opens.replace(':', '')}-{closes.replace(':', '')}"
    for day in (schedule.mon, schedule.tue, schedule.wed, schedule.thu):
        assert [str(p) for p in day] == monday
    assert [str(p) for p in schedule.fri] == friday
    assert schedule.sat == schedule.sun == []


def test_names_with_quotes_and_backslashes_survive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN names with quotes, a backslash and non-ASCII letters WHEN generated and read back
    THEN every name is exactly as in the CSV."""
    agency = 'Kantor "Pusat" \\ Cabang Müller'
    service = "Layanan 'khusus' #1 = \"A\""
    # In CSV a quote inside a quoted field is doubled.
    row = 'A,"Kantor ""Pusat"" \\ Cabang Müller","Layanan \'khusus\' #1 = ""A""",5,1,08:00,15:00\n'
    csv_path = write_csv(tmp_path, row)
    assert site_from_csv([csv_path, "--name", 'MPP "Uji"']) == 0
    site = parse_site(capsys.readouterr().out)
    assert site.site.name == 'MPP "Uji"'
    assert site.agencies[0].name == agency
    assert site.agencies[0].id == "kantor-pusat-cabang-muller"
    assert site.services[0].name == service
    assert site.services[0].daily_quota == 5


def test_toml_string_escapes_control_characters() -> None:
    """GIVEN text with a tab, newline and DEL THEN the TOML string has escapes, no raw ones."""
    assert toml_string('a\tb\nc\x7f"\\') == '"a\\tb\\nc\\u007F\\"\\\\"'
    nasty = 'quote " backslash \\ tab \t nul \x00 newline \n DEL \x7f é'
    assert tomllib.loads(f"x = {toml_string(nasty)}")["x"] == nasty


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Kantor Imigrasi", "kantor-imigrasi"),
        ("BPJS  Kesehatan", "bpjs-kesehatan"),
        ("Dinas Kependudukan & Catatan Sipil", "dinas-kependudukan-catatan-sipil"),
        (" (PLN) ", "pln"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    """GIVEN an agency name THEN its id is lowercase letters, digits and hyphens."""
    assert slugify(name) == slug


def test_agency_ids_stay_unique(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN two agencies whose names slugify alike THEN the second id gets a suffix."""
    csv_path = write_csv(
        tmp_path,
        "A,Bank Kaltimtara,Tabungan,,1,08:00,15:00\nB,BANK kaltimtara!,Kredit,,2,08:00,15:00\n",
    )
    assert site_from_csv([csv_path]) == 0
    site = parse_site(capsys.readouterr().out)
    assert [a.id for a in site.agencies] == ["bank-kaltimtara", "bank-kaltimtara-2"]
    assert [s.agency for s in site.services] == ["bank-kaltimtara", "bank-kaltimtara-2"]


GOOD_ROW = "A,PLN,Listrik,10,1,08:00,15:00\n"


@pytest.mark.parametrize(
    ("body", "header", "line", "problem"),
    [
        pytest.param(
            GOOD_ROW,
            "prefix,agency,service,counters,opens,closes\n",
            1,
            "missing column(s) daily_quota",
            id="missing-column",
        ),
        pytest.param(
            GOOD_ROW + "B,PLN,Tagihan,,2,8.00,15:00\n",
            HEADER,
            3,
            "bad opens time '8.00'",
            id="bad-time",
        ),
        pytest.param(
            GOOD_ROW + "B,PLN,Tagihan,,2,08:00,25:00\n",
            HEADER,
            3,
            "bad closes time '25:00'",
            id="impossible-time",
        ),
        pytest.param(
            "A,PLN,Listrik,sepuluh,1,08:00,15:00\n",
            HEADER,
            2,
            "bad daily_quota 'sepuluh'",
            id="bad-quota",
        ),
        pytest.param(
            "A,PLN,Listrik,0,1,08:00,15:00\n", HEADER, 2, "bad daily_quota '0'", id="zero-quota"
        ),
        pytest.param(
            "A,PLN,Listrik,1_000,1,08:00,15:00\n", HEADER, 2, "bad daily_quota", id="quota-1_000"
        ),
        pytest.param(
            'A,PLN,Listrik,,"1,²",08:00,15:00\n', HEADER, 2, "bad counters", id="superscript-2"
        ),
        pytest.param(
            'A,PLN,Listrik,,"1,x",08:00,15:00\n', HEADER, 2, "bad counters", id="bad-counters"
        ),
        pytest.param("A,PLN,Listrik,,,08:00,15:00\n", HEADER, 2, "bad counters", id="no-counters"),
        pytest.param(
            "A,PLN,Listrik,,1,15:00,08:00\n", HEADER, 2, "must be after opens", id="closes-first"
        ),
        pytest.param(
            "A,PLN,Listrik,,1,12:00,13:00\n", HEADER, 2, "within the midday break", id="all-break"
        ),
        pytest.param(
            GOOD_ROW + "\nA,PLN,Tagihan,,2,08:00,15:00\n",
            HEADER,
            4,
            "prefix 'A' is already used on line 2",
            id="duplicate-prefix",
        ),
        pytest.param("a,PLN,Listrik,,1,08:00,15:00\n", HEADER, 2, "bad prefix 'a'", id="prefix"),
        pytest.param(
            'A,PLN,"Listrik\nbaru",,1,08:00,15:00\n', HEADER, 3, "line break", id="newline-in-name"
        ),
        pytest.param("A,PLN,Listrik,,1,08:00\n", HEADER, 2, "too few fields", id="short-row"),
        pytest.param("A,PLN,Listrik,,1,08:00,15:00,x\n", HEADER, 2, "more fields", id="long-row"),
        pytest.param("", HEADER, 1, "no service rows", id="header-only"),
    ],
)
def test_bad_csv_exits_2_naming_the_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    body: str,
    header: str,
    line: int,
    problem: str,
) -> None:
    """GIVEN a CSV with one mistake WHEN generating THEN exit 2, nothing on stdout, and
    stderr names the file, the line and the problem."""
    csv_path = write_csv(tmp_path, body, header)
    out_path = tmp_path / "site.toml"
    assert site_from_csv([csv_path, "-o", str(out_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{csv_path}: line {line}: " in err
    assert problem in err
    assert not out_path.exists()


def test_missing_csv_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN no CSV file THEN exit 2 with the reason on stderr."""
    assert site_from_csv([str(tmp_path / "nope.csv")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"), [("--site-id", "MPP Samarinda"), ("--timezone", "WITA")]
)
def test_bad_options_exit_2(capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    """GIVEN a site id that is no identifier, or an unknown zone, THEN exit 2 naming it."""
    assert site_from_csv([str(CATALOGUE), option, value]) == 2
    assert f"{option} {value!r}" in capsys.readouterr().err


def test_example_csv_is_the_shared_catalogue_copy() -> None:
    """GIVEN the repo's own copy of the catalogue THEN it has the header and 24 rows."""
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER.strip()
    assert len(lines) == 25


def test_check_config_names_the_hub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the example with a [hub] WHEN checked THEN the summary says where it sends."""
    site = tmp_path / "site.toml"
    site.write_text(
        EXAMPLE.read_text(encoding="utf-8")
        + '\n[hub]\nhost = "hub.example.id"\nca_file = "/etc/antre/hub-ca.crt"\n'
        'credentials = "/etc/antre/hub.toml"\nresend_seconds = 45\n',
        encoding="utf-8",
    )
    assert check_config([str(site)]) == 0
    assert "hub: hub.example.id:8883 (enabled, resend after 45 s)" in capsys.readouterr().out
